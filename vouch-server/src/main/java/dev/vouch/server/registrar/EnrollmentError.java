package dev.vouch.server.registrar;

import dev.vouch.core.Failure;
import java.util.Optional;

/**
 * Why the registrar refused an enrollment step. Stable codes: they reach API clients and logs.
 * Where a {@link Failure} code says the same, {@link #failure()} names it.
 */
public enum EnrollmentError {
  /** The request is unreadable: bad host id, TPM structures or certificate encoding. */
  MALFORMED_REQUEST(Failure.MALFORMED),
  /** The EK certificate does not chain to a configured TPM manufacturer root. */
  EK_CHAIN_UNTRUSTED(Failure.CHAIN_UNTRUSTED),
  /**
   * The registrar has no TPM manufacturer roots ({@code registrar.ek_roots}), so it trusts no EK
   * certificate: configure the roots of the TPMs this deployment uses.
   */
  EK_ROOTS_NOT_CONFIGURED(Failure.CHAIN_UNTRUSTED),
  /** The EK certificate or one above it is outside its validity period. */
  EK_CERT_EXPIRED(Failure.CERT_EXPIRED),
  /** The key in the EK certificate is not the EK public area the agent sent. */
  EK_KEY_MISMATCH(Failure.KEY_MISMATCH),
  /** The EK cannot protect a credential (not a restricted decryption key with AES-CFB). */
  EK_UNSUPPORTED(Failure.UNSUPPORTED),
  /**
   * The AK lacks fixedTPM, fixedParent, sensitiveDataOrigin, restricted or sign, or can decrypt:
   * its signatures would not prove that the TPM made a quote.
   */
  AK_NOT_RESTRICTED_SIGNING(Failure.KEY_MISMATCH),
  /** No challenge has this id. */
  CHALLENGE_UNKNOWN(null),
  /** The challenge's time ran out before the agent answered. */
  CHALLENGE_EXPIRED(null),
  /** The challenge was already answered (rightly or wrongly): each is single-use. */
  CHALLENGE_REPLAYED(null),
  /** The secret the agent returned is not the one protected for its TPM. */
  ACTIVATION_FAILED(null),
  /** The host id is enrolled with another TPM (another EK certificate). */
  HOST_BOUND_TO_OTHER_TPM(Failure.KEY_MISMATCH),
  /** The host is not enrolled. */
  HOST_NOT_ENROLLED(null),
  /** A CRL of the EK certificate's path lists the EK certificate or a CA above it. */
  EK_CERT_REVOKED(Failure.CERT_REVOKED),
  /**
   * Revocation is required but a CRL of the EK certificate's path is missing, out of date or not
   * signed by its issuer.
   */
  EK_REVOCATION_UNKNOWN(Failure.COLLATERAL_MISSING);

  private final Failure failure;

  EnrollmentError(Failure failure) {
    this.failure = failure;
  }

  /** The general failure code this error refines, if one fits. */
  public Optional<Failure> failure() {
    return Optional.ofNullable(failure);
  }
}
