package dev.vouch.evidence.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.evidence.Expectations;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Trustee's sample evidence: report data binding and shape, nothing else to check. */
class SampleEvidenceVerifierTest {
  private final SampleEvidenceVerifier verifier = new SampleEvidenceVerifier();
  private static final byte[] NONCE =
      "a 48-byte runtime data digest stands in here!!!".getBytes(StandardCharsets.US_ASCII);

  private static byte[] evidence(byte[] reportData) {
    return ("{\"svn\":\"1\",\"report_data\":\""
            + Base64.getEncoder().encodeToString(reportData)
            + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static Expectations expect(byte[] nonce) {
    return new Expectations(Optional.of(nonce), Instant.now());
  }

  private void refused(byte[] evidence, byte[] nonce, Failure f) {
    assertThatThrownBy(() -> verifier.verify(evidence, expect(nonce)))
        .isInstanceOfSatisfying(
            VerificationException.class, e -> assertThat(e.failure()).isEqualTo(f));
  }

  @Test
  void reportDataCarryingTheNonceVerifiesWithTheSampleClaims() throws Exception {
    VerifiedEvidence v = verifier.verify(evidence(NONCE), expect(NONCE));
    assertThat(v.claims().get("sample.svn")).isEqualTo("1");
    assertThat(v.claims().get("sample.debug")).isEqualTo(false);
    assertThat(v.claims().get("sample.launch_digest")).isEqualTo("ab".repeat(48));
    // the 64-byte field zero-padded after the nonce is the same binding
    verifier.verify(evidence(java.util.Arrays.copyOf(NONCE, 64)), expect(NONCE));
  }

  @Test
  void reportDataForAnotherNonceIsRefused() {
    byte[] other = NONCE.clone();
    other[0] ^= 1;
    refused(evidence(other), NONCE, Failure.REPORT_DATA_MISMATCH);
    byte[] trailing = java.util.Arrays.copyOf(NONCE, 64);
    trailing[63] = 1;
    refused(evidence(trailing), NONCE, Failure.REPORT_DATA_MISMATCH);
  }

  @Test
  void malformedSampleEvidenceIsRefused() {
    refused("not json".getBytes(StandardCharsets.UTF_8), NONCE, Failure.MALFORMED);
    refused("{\"svn\":\"1\"}".getBytes(StandardCharsets.UTF_8), NONCE, Failure.MALFORMED);
    refused(
        "{\"svn\":\"1\",\"report_data\":\"***\"}".getBytes(StandardCharsets.UTF_8),
        NONCE,
        Failure.MALFORMED);
    refused(evidence(new byte[65]), NONCE, Failure.MALFORMED);
  }
}
