package dev.vouch.evidence.snp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The host's certificate table (configfs-tsm auxblob): real VCEK and ASK/ARK bytes round-trip with
 * their kinds; a table without terminator, with an entry pointing into the table or past the blob,
 * an empty entry or too many entries is refused.
 */
class SnpCertTableTest {
  static final byte[] VCEK = SnpSamples.bytes("trustee/test-vcek.der");

  @Test
  void readsTheEntriesAHostWrites() throws Exception {
    byte[] ask = Arrays.copyOf(VCEK, 100);
    byte[] other = {1, 2, 3};
    List<SnpCertTable.Entry> in =
        List.of(
            SnpCertTable.entry("VCEK", VCEK),
            SnpCertTable.entry("ASK", ask),
            new SnpCertTable.Entry("01020304-0506-0708-090a-0b0c0d0e0f10", "OTHER", other));
    List<SnpCertTable.Entry> out = SnpCertTable.parse(SnpCertTable.encode(in));
    assertThat(out).extracting(SnpCertTable.Entry::kind).containsExactly("VCEK", "ASK", "OTHER");
    assertThat(out.get(0).guid()).isEqualTo("63da758d-e664-4564-adc5-f4b93be8accd");
    assertThat(out.get(0).data()).isEqualTo(VCEK);
    assertThat(out.get(1).data()).isEqualTo(ask);
    assertThat(out.get(2).guid()).isEqualTo("01020304-0506-0708-090a-0b0c0d0e0f10");
    assertThat(out.get(2).data()).isEqualTo(other);
    assertThat(SnpCertTable.parse(new byte[0])).isEmpty();
  }

  @Test
  void aTableWithoutTerminatorIsTruncated() {
    byte[] t = SnpCertTable.encode(List.of(SnpCertTable.entry("VCEK", VCEK)));
    assertThat(refused(Arrays.copyOf(t, 24))).isEqualTo(Failure.TRUNCATED);
  }

  @Test
  void entriesOutsideTheBlobOrInsideTheTableAreMalformed() {
    byte[] t = SnpCertTable.encode(List.of(SnpCertTable.entry("VCEK", VCEK)));
    ByteBuffer b = ByteBuffer.wrap(t.clone()).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(16, 8); // into the table
    assertThat(refused(b.array())).isEqualTo(Failure.MALFORMED);
    b = ByteBuffer.wrap(t.clone()).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(20, VCEK.length + 1); // one byte past the end
    assertThat(refused(b.array())).isEqualTo(Failure.MALFORMED);
    b = ByteBuffer.wrap(t.clone()).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(16, -1); // 4 GiB offset: no int overflow
    assertThat(refused(b.array())).isEqualTo(Failure.MALFORMED);
    b = ByteBuffer.wrap(t.clone()).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(20, 0); // empty entry
    assertThat(refused(b.array())).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void tooManyEntriesAreMalformed() {
    List<SnpCertTable.Entry> many =
        java.util.Collections.nCopies(
            SnpCertTable.MAX_ENTRIES + 1, SnpCertTable.entry("ASK", new byte[] {1}));
    assertThat(refused(SnpCertTable.encode(many))).isEqualTo(Failure.MALFORMED);
  }

  private static Failure refused(byte[] table) {
    return assertThrows(VerificationException.class, () -> SnpCertTable.parse(table)).failure();
  }
}
