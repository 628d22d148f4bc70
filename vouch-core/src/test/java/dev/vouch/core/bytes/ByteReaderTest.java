package dev.vouch.core.bytes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class ByteReaderTest {

  @Test
  void readsBigEndianIntegers() throws Exception {
    ByteReader r = ByteReader.bigEndian(Hex.decode("0102030405060708090a0b0c0d0e0f"));
    assertThat(r.u8()).isEqualTo(0x01);
    assertThat(r.u16()).isEqualTo(0x0203);
    assertThat(r.u32()).isEqualTo(0x04050607L);
    assertThat(r.u64()).isEqualTo(0x08090a0b0c0d0e0fL);
    r.expectEnd("all");
  }

  @Test
  void readsLittleEndianIntegers() throws Exception {
    ByteReader r = ByteReader.littleEndian(Hex.decode("0201ffffffff"));
    assertThat(r.u16()).isEqualTo(0x0102);
    assertThat(r.u32()).isEqualTo(0xffffffffL);
  }

  @Test
  void rejectsALengthLongerThanWhatIsLeftBeforeAllocating() {
    ByteReader r = ByteReader.bigEndian(Hex.decode("7fffffff00"));
    assertThatThrownBy(r::sized32)
        .isInstanceOf(VerificationException.class)
        .extracting(e -> ((VerificationException) e).failure())
        .isEqualTo(Failure.TRUNCATED);
  }

  @Test
  void keepsSliceReadsInsideTheirWindow() throws Exception {
    ByteReader r = ByteReader.bigEndian(Hex.decode("0001aabbccdd"));
    ByteReader s = r.slice(2);
    assertThat(s.u16()).isEqualTo(1);
    assertThatThrownBy(s::u8).isInstanceOf(VerificationException.class);
    assertThat(r.u16()).isEqualTo(0xaabb);
  }

  @Test
  void reportsTrailingBytesAsMalformed() throws Exception {
    ByteReader r = ByteReader.bigEndian(new byte[3]);
    r.u16();
    assertThatThrownBy(() -> r.expectEnd("x"))
        .extracting(e -> ((VerificationException) e).failure())
        .isEqualTo(Failure.MALFORMED);
  }

  @Property(tries = 300)
  void sized16NeverThrowsAnythingButVerificationException(@ForAll @Size(max = 64) byte[] input) {
    ByteReader r = ByteReader.bigEndian(input);
    try {
      while (r.hasRemaining()) {
        byte[] b = r.sized16();
        assertThat(b.length).isLessThanOrEqualTo(input.length);
      }
    } catch (VerificationException e) {
      assertThat(e.failure()).isEqualTo(Failure.TRUNCATED);
    }
  }
}
