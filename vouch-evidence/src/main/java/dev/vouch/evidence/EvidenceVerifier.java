package dev.vouch.evidence;

import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;

/**
 * One evidence kind's verifier: parses the evidence, checks every signature, binding and
 * measurement it carries, and returns the claims it supports. It also owns how a relying party
 * binds data to its evidence (the size of the report-data field, where init data is measured), so
 * that a service never switches over evidence kinds: adding a kind is one package with its verifier
 * plus one registration line in {@link Verifiers}. Implementations are immutable and thread-safe.
 */
public interface EvidenceVerifier {

  /** The evidence kind this verifier accepts. */
  Tee tee();

  /**
   * The size in bytes of the evidence's report-data field. A service binds runtime data by
   * zero-padding or truncating its digest to this size (as Trustee's {@code regularize_data}) and
   * passing the result as {@link Expectations#nonce()}: 32 for a TPM quote's {@code extraData}, 64
   * for the TDX, SGX and SEV-SNP report data and the CCA realm challenge.
   */
  int reportDataLength();

  /**
   * Checks that {@code verified} (evidence this verifier returned) measured init data whose digest
   * is {@code digest}, through the kind's configuration field (TPM PCR 8, SNP {@code HOST_DATA},
   * TDX {@code MRCONFIGID}).
   *
   * @throws VerificationException {@link Failure#INIT_DATA_MISMATCH} when the measured value
   *     differs, {@link Failure#PCR_VALUES_MISSING} when the evidence carries no such field, {@link
   *     Failure#UNSUPPORTED} for a kind that cannot bind init data (the default)
   */
  default void checkInitData(VerifiedEvidence verified, byte[] digest)
      throws VerificationException {
    throw new VerificationException(
        Failure.UNSUPPORTED, "init data binding is not supported for " + tee().wireName());
  }

  /**
   * Parses and fully verifies {@code evidence}.
   *
   * @return the verified claims; never returned for evidence that fails any check
   * @throws VerificationException with a stable {@link dev.vouch.core.Failure} code on any failure
   */
  VerifiedEvidence verify(byte[] evidence, Expectations expected) throws VerificationException;
}
