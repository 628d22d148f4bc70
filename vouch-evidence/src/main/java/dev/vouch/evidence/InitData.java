package dev.vouch.evidence;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;

/** The comparison every verifier's {@link EvidenceVerifier#checkInitData} ends in. */
public final class InitData {
  private InitData() {}

  /**
   * Requires the hex claim {@code claim} of {@code verified} to equal {@code expected}.
   *
   * @param what the field's name in messages (e.g. {@code HOST_DATA})
   * @throws VerificationException {@link Failure#PCR_VALUES_MISSING} when the claim is absent,
   *     {@link Failure#INIT_DATA_MISMATCH} when it differs
   */
  public static void requireClaim(
      VerifiedEvidence verified, String claim, byte[] expected, String what)
      throws VerificationException {
    Object actual = verified.claims().get(claim);
    if (actual == null) {
      throw new VerificationException(
          Failure.PCR_VALUES_MISSING, "init data: the evidence carries no " + what);
    }
    if (!Hex.encode(expected).equalsIgnoreCase(String.valueOf(actual))) {
      throw new VerificationException(
          Failure.INIT_DATA_MISMATCH,
          "init data: " + what + " is " + actual + ", expected " + Hex.encode(expected));
    }
  }
}
