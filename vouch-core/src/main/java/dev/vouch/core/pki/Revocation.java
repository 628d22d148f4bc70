package dev.vouch.core.pki;

/**
 * How much of a certificate path must be proven unrevoked by offline CRLs. Each mode is a caller's
 * explicit choice; {@link #REQUIRED} is the default of {@link PathSettings}.
 */
public enum Revocation {
  /**
   * Every certificate below the trust anchor needs a CRL from its issuer, validly signed and
   * current at the validation time; a missing one is {@code COLLATERAL_MISSING}, an out-of-date one
   * {@code COLLATERAL_EXPIRED}.
   */
  REQUIRED,
  /**
   * As {@link #REQUIRED}, except that a validly signed CRL already issued but past its next update
   * still answers (a certificate it lists is still revoked) instead of failing {@code
   * COLLATERAL_EXPIRED}; the result names the earliest next update so passed ({@link
   * PathResult#staleCrlsSince()}) for the caller to report. For Intel DCAP collateral, whose expiry
   * Intel's quote verification reports as a status beside the verdict, not as a failure.
   */
  REQUIRED_STALE_REPORTED,
  /**
   * Every CA certificate below the anchor needs a current CRL as in {@link #REQUIRED}; the leaf is
   * not checked. For hierarchies whose leaf issuer cannot sign CRLs at all: AMD's ASK and ASVK
   * carry keyUsage keyCertSign without cRLSign, and the KDS publishes only the ARK's CRL (which
   * lists ASKs and ASVKs); a VCEK's validity is bound to its TCB instead.
   */
  CA_CERTIFICATES,
  /**
   * No revocation check. Only for callers that say so explicitly; the result reports {@code
   * revocationChecked() == false} and the caller's claims must carry it.
   */
  DISABLED
}
