package dev.vouch.evidence.psa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.cca.CcaTrustAnchor;
import dev.vouch.evidence.cca.CcaVectors;
import dev.vouch.evidence.cca.EcKey;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PsaTokenVerifierTest {
  private static final byte[] PSA_2 = CcaVectors.bytes(CcaVectors.PSA_2_0);
  private static final byte[] PSA_1 = CcaVectors.bytes(CcaVectors.PSA_IOT_1);

  private static EcKey key(String file) throws VerificationException {
    return CcaTrustAnchor.recognise(CcaVectors.bytes(file)).get(0).key();
  }

  private static PsaTokenVerifier verifier() throws VerificationException {
    return new PsaTokenVerifier(List.of(key(CcaVectors.PSA_KEY)));
  }

  private static void assertFails(ThrowingRunnable r, Failure failure) {
    assertThatThrownBy(r::run)
        .isInstanceOfSatisfying(
            VerificationException.class, e -> assertThat(e.failure()).isEqualTo(failure));
  }

  @FunctionalInterface
  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void verifiesAProfile2TokenAndReadsItsSoftwareComponents() throws Exception {
    Claims c = verifier().verify(PSA_2, Optional.empty());
    assertThat(c.get(PsaClaims.PROFILE)).isEqualTo("http://arm.com/psa/2.0.0");
    assertThat(c.get(PsaClaims.CLIENT_ID)).isEqualTo(3002L);
    assertThat(c.get(PsaClaims.LIFECYCLE_STATE)).isEqualTo("secured");
    assertThat(c.get(PsaClaims.SW_COMPONENTS)).isEqualTo(2L);
    // values as in the upstream psa-2_0_0_claims.diag
    assertThat(c.get("psa.sw.0.type")).isEqualTo("SPE");
    assertThat(c.get("psa.sw.0.version")).isEqualTo("1.6.0");
    assertThat(c.get("psa.sw.0.hash_algo")).isEqualTo("SHA256");
    assertThat(c.get("psa.sw.0.measurement"))
        .isEqualTo("96a2ec56c65120a60ce3a53ef8d2082233772aacd5b17935a92be12ac577f685");
    assertThat(c.get("psa.sw.1.signer_id"))
        .isEqualTo("b360caf5c98c6b942a4882fa9d4823efb166a9ef6a6e4aa37c1919ed1fccc049");
  }

  @Test
  void verifiesAProfile1TokenWithTheSameClaimNames() throws Exception {
    Claims one = verifier().verify(PSA_1, Optional.empty());
    Claims two = verifier().verify(PSA_2, Optional.empty());
    assertThat(one.get(PsaClaims.PROFILE)).isEqualTo("PSA_IOT_PROFILE_1");
    assertThat(one.asMap().keySet()).isEqualTo(two.asMap().keySet());
    assertThat(one.get(PsaClaims.INSTANCE_ID)).isEqualTo(two.get(PsaClaims.INSTANCE_ID));
  }

  @Test
  void checksTheNonceExactly() throws Exception {
    assertThat(verifier().verify(PSA_2, Optional.of(new byte[64])).get(PsaClaims.NONCE))
        .isEqualTo("00".repeat(64));
    assertFails(() -> verifier().verify(PSA_2, Optional.of(new byte[32])), Failure.NONCE_MISMATCH);
    byte[] other = new byte[64];
    other[5] = 1;
    assertFails(() -> verifier().verify(PSA_1, Optional.of(other)), Failure.NONCE_MISMATCH);
  }

  @Test
  void rejectsATokenCheckedWithAnotherKey() throws Exception {
    // the CCA platform key is P-384: not even on ES256's curve
    assertFails(
        () ->
            new PsaTokenVerifier(List.of(key(CcaVectors.RMM_CPAK))).verify(PSA_2, Optional.empty()),
        Failure.KEY_MISMATCH);
    byte[] forged = PSA_2.clone();
    forged[forged.length - 1] ^= 1;
    assertFails(() -> verifier().verify(forged, Optional.empty()), Failure.SIGNATURE_INVALID);
  }

  @Test
  void rejectsACcaTokenAsMalformed() {
    assertFails(
        () -> verifier().verify(CcaVectors.bytes(CcaVectors.TRUSTEE_TOKEN), Optional.empty()),
        Failure.MALFORMED);
    assertFails(() -> verifier().verify(Hex.decode("d284"), Optional.empty()), Failure.TRUNCATED);
  }
}
