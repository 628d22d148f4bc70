package dev.vouch.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PcrFilesTest {

  @Test
  void readsTheSerializedDumpOfTwoDigestGroups() throws Exception {
    PcrValues v = PcrFiles.fromSerialized(Vectors.bytes("swtpm/rsa-ak/pcrs.out"));

    assertThat(v.indexes(HashAlg.SHA256)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 10);
    assertThat(Hex.encode(v.get(HashAlg.SHA256, 10).orElseThrow()))
        .isEqualTo("66aac22ab9b490519f1dd074f679e3b486243f6408fa00d264e62aa30568a73d");
    assertThat(v.get(HashAlg.SHA256, 0).orElseThrow()).isEqualTo(new byte[32]);
  }

  @Test
  void readsTheSameValuesFromTheSerializedAndTheConcatenatedForms() throws Exception {
    PcrValues serialized = PcrFiles.fromSerialized(Vectors.bytes("swtpm/rsa-ak/pcrs.out"));
    PcrSelection sel = PcrSelection.of(HashAlg.SHA256, 0, 1, 2, 3, 4, 5, 6, 7, 10);
    PcrValues concatenated =
        PcrFiles.fromConcatenated(sel, Vectors.bytes("swtpm/rsa-ak/plain-pcrs.values"));

    assertThat(concatenated).isEqualTo(serialized);
  }

  @Test
  void rejectsAConcatenatedFileOfTheWrongLength() {
    PcrSelection sel = PcrSelection.of(HashAlg.SHA256, 0, 1);
    VerificationException e =
        catchThrowableOfType(
            VerificationException.class, () -> PcrFiles.fromConcatenated(sel, new byte[65]));
    assertThat(e.failure()).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void rejectsADumpWhoseDigestCountOrSizeDisagreesWithTheSelection() {
    byte[] dump = Vectors.bytes("tpm-quote/keylime/test-data-files/quotepcr.out");

    byte[] fewer = dump.clone();
    fewer[136] = 2; // TPML_DIGEST count 3 -> 2
    assertThat(code(fewer)).isEqualTo(Failure.MALFORMED);

    byte[] size = dump.clone();
    size[140] = 0x14; // first digest size 32 -> 20
    assertThat(code(size)).isEqualTo(Failure.MALFORMED);

    assertThat(code(Arrays.copyOf(dump, dump.length - 1))).isEqualTo(Failure.TRUNCATED);
    assertThat(code(Arrays.copyOf(dump, dump.length + 1))).isEqualTo(Failure.MALFORMED);
  }

  private static Failure code(byte[] b) {
    return catchThrowableOfType(VerificationException.class, () -> PcrFiles.fromSerialized(b))
        .failure();
  }
}
