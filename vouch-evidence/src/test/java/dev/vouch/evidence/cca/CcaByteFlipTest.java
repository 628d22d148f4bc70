package dev.vouch.evidence.cca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.psa.PsaTokenVerifier;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Byte-flip mutation: every byte of each valid token, inverted in turn, must be rejected (the whole
 * token is covered, signed regions and the wrapping alike). Also checks that the rejections come
 * from the signature checks where the change is only in signed content, not only from parsing.
 */
class CcaByteFlipTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    CcaVectors.TRUSTEE_TOKEN + "," + CcaVectors.TRUSTEE_CPAK,
    CcaVectors.RMM_TOKEN + "," + CcaVectors.RMM_CPAK
  })
  void everyFlippedByteOfACcaTokenIsRejected(String token, String key) throws Exception {
    byte[] original = CcaVectors.bytes(token);
    CcaEvidenceVerifier v =
        new CcaEvidenceVerifier(CcaTrustAnchor.recognise(CcaVectors.bytes(key)));
    v.verify(original, Expectations.none());
    Map<Failure, Integer> outcomes = flipEach(original, b -> v.verify(b, Expectations.none()));
    assertThat(outcomes).doesNotContainKey(null);
    assertThat(outcomes.get(Failure.SIGNATURE_INVALID)).isGreaterThan(original.length / 2);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({CcaVectors.PSA_2_0, CcaVectors.PSA_IOT_1})
  void everyFlippedByteOfAPsaTokenIsRejected(String token) throws Exception {
    byte[] original = CcaVectors.bytes(token);
    PsaTokenVerifier v =
        new PsaTokenVerifier(
            List.of(CcaTrustAnchor.recognise(CcaVectors.bytes(CcaVectors.PSA_KEY)).get(0).key()));
    v.verify(original, Optional.empty());
    Map<Failure, Integer> outcomes = flipEach(original, b -> v.verify(b, Optional.empty()));
    assertThat(outcomes).doesNotContainKey(null);
    assertThat(outcomes.get(Failure.SIGNATURE_INVALID)).isGreaterThan(original.length / 2);
  }

  /** Outcome counts per failure; the key {@code null} counts accepted mutants. */
  private static Map<Failure, Integer> flipEach(byte[] original, Check check) {
    Map<Failure, Integer> outcomes = new java.util.HashMap<>();
    for (int i = 0; i < original.length; i++) {
      byte[] b = original.clone();
      b[i] ^= (byte) 0xff;
      Failure f = null;
      try {
        check.run(b);
      } catch (VerificationException e) {
        f = e.failure();
      }
      outcomes.merge(f, 1, Integer::sum);
    }
    return outcomes;
  }

  @FunctionalInterface
  private interface Check {
    Object run(byte[] token) throws VerificationException;
  }
}
