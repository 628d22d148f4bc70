package dev.vouch.evidence;

import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;

/**
 * One evidence kind's verifier: parses the evidence, checks every signature, binding and
 * measurement it carries, and returns the claims it supports. Implementations are immutable and
 * thread-safe.
 */
public interface EvidenceVerifier {

  /** The evidence kind this verifier accepts. */
  Tee tee();

  /**
   * Parses and fully verifies {@code evidence}.
   *
   * @return the verified claims; never returned for evidence that fails any check
   * @throws VerificationException with a stable {@link dev.vouch.core.Failure} code on any failure
   */
  VerifiedEvidence verify(byte[] evidence, Expectations expected) throws VerificationException;
}
