package dev.vouch.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.util.List;
import org.junit.jupiter.api.Test;

class PcrSelectionTest {

  @Test
  void decodesTheBitmapLeastSignificantBitFirst() throws Exception {
    PcrSelection s = PcrSelection.parse(Hex.decode("00000001000b03ff0400"));

    assertThat(s.banks()).hasSize(1);
    assertThat(s.banks().get(0).hash()).isEqualTo(HashAlg.SHA256);
    assertThat(s.banks().get(0).pcrs()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 10);
    assertThat(s.encode()).isEqualTo(Hex.decode("00000001000b03ff0400"));
    assertThat(PcrSelection.of(HashAlg.SHA256, 10, 0, 1, 2, 3, 4, 5, 6, 7)).isEqualTo(s);
  }

  @Test
  void digestsBanksInListOrderAndRegistersAscending() throws Exception {
    PcrSelection s = PcrSelection.parse(Hex.decode("00000002000b03000400000403010000"));
    byte[] a = new byte[32];
    byte[] b = new byte[20];
    a[0] = 1;
    b[0] = 2;
    PcrValues v = PcrValues.builder().put(HashAlg.SHA256, 10, a).put(HashAlg.SHA1, 0, b).build();

    byte[] expected = HashAlg.SHA384.newDigest().digest(concat(a, b));
    assertThat(s.digest(HashAlg.SHA384, v)).isEqualTo(expected);
    assertThat(s.toString()).isEqualTo("sha256:10+sha1:0");
    assertThat(s.restrict(v)).isEqualTo(v);
  }

  @Test
  void namesEveryMissingRegister() {
    PcrSelection s = PcrSelection.of(HashAlg.SHA256, 1, 2, 3);
    PcrValues v = PcrValues.builder().put(HashAlg.SHA256, 2, new byte[32]).build();

    VerificationException e =
        catchThrowableOfType(VerificationException.class, () -> s.digest(HashAlg.SHA256, v));

    assertThat(e.failure()).isEqualTo(Failure.PCR_VALUES_MISSING);
    assertThat(e.getMessage()).contains("sha256:1, sha256:3");
  }

  @Test
  void rejectsMoreBanksThanATpmHasAndUnknownBanks() {
    assertThat(code(Hex.decode("00000011"))).isEqualTo(Failure.MALFORMED);
    assertThat(code(Hex.decode("00000001009903ff0000"))).isEqualTo(Failure.UNSUPPORTED);
    assertThat(code(Hex.decode("00000001000b03ff"))).isEqualTo(Failure.TRUNCATED);
    assertThat(new PcrSelection(List.of()).isEmpty()).isTrue();
  }

  private static Failure code(byte[] b) {
    return catchThrowableOfType(VerificationException.class, () -> PcrSelection.parse(b)).failure();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
