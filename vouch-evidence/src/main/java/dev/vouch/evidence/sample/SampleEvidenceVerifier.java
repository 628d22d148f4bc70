package dev.vouch.evidence.sample;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import java.io.IOException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * Trustee's sample "TEE" ({@code {"svn": "1", "report_data": base64}}), for tests only: nothing
 * signs it, so it proves nothing about any platform. A server accepts it only when the sample kind
 * is explicitly enabled ({@code verifiers.sample: true}), never by default.
 *
 * <p>The report data must start with the expected nonce and be zero after it, as for the hardware
 * kinds ({@link Failure#REPORT_DATA_MISMATCH}). Claims: {@code sample.svn} as the evidence says,
 * {@code sample.debug} false, and {@code sample.launch_digest} the constant {@link #LAUNCH_DIGEST}
 * (the sample measures nothing, so one fixed value stands for "the sample workload"), and {@code
 * sample.platform_version.major}/{@code .minor} the constants 1 and 4, as Trustee's sample verifier
 * reports them, and {@code sample.report_data} the evidence's base64 text.
 */
public final class SampleEvidenceVerifier implements EvidenceVerifier {
  /** The launch digest every sample evidence reports (hex, 48 bytes). */
  public static final String LAUNCH_DIGEST = "ab".repeat(48);

  /** The platform version every sample evidence reports, Trustee's constant 1.4. */
  public static final long PLATFORM_MAJOR = 1;

  public static final long PLATFORM_MINOR = 4;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int REPORT_DATA_LENGTH = 64;

  @Override
  public Tee tee() {
    return Tee.SAMPLE;
  }

  @Override
  public int reportDataLength() {
    return REPORT_DATA_LENGTH;
  }

  @Override
  public VerifiedEvidence verify(byte[] evidence, Expectations expected)
      throws VerificationException {
    JsonNode n;
    try {
      n = JSON.readTree(evidence);
    } catch (IOException e) {
      throw new VerificationException(Failure.MALFORMED, "sample evidence is not JSON");
    }
    if (n == null
        || !n.isObject()
        || !n.path("svn").isTextual()
        || !n.path("report_data").isTextual()) {
      throw new VerificationException(
          Failure.MALFORMED, "sample evidence needs the text fields svn and report_data");
    }
    byte[] reportData;
    try {
      reportData = Base64.getDecoder().decode(n.get("report_data").textValue());
    } catch (IllegalArgumentException e) {
      throw new VerificationException(Failure.MALFORMED, "sample report_data is not base64");
    }
    if (reportData.length > REPORT_DATA_LENGTH) {
      throw new VerificationException(
          Failure.MALFORMED, "sample report_data has more than " + REPORT_DATA_LENGTH + " bytes");
    }
    Optional<byte[]> nonce = expected.nonce();
    if (nonce.isPresent()) {
      byte[] want = Arrays.copyOf(nonce.get(), REPORT_DATA_LENGTH);
      if (!Crypto.constantTimeEquals(Arrays.copyOf(reportData, REPORT_DATA_LENGTH), want)) {
        throw new VerificationException(
            Failure.REPORT_DATA_MISMATCH, "sample report_data differs from the expected nonce");
      }
    }
    return new VerifiedEvidence(
        Tee.SAMPLE,
        Claims.builder()
            .put("sample.svn", n.get("svn").textValue())
            .put("sample.debug", false)
            .put("sample.launch_digest", LAUNCH_DIGEST)
            .put("sample.platform_version.major", PLATFORM_MAJOR)
            .put("sample.platform_version.minor", PLATFORM_MINOR)
            // as Trustee's sample verifier: the evidence's base64 text, checked above
            .put("sample.report_data", n.get("report_data").textValue())
            .build());
  }
}
