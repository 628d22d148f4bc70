package dev.vouch.evidence.dcap;

import dev.vouch.core.VerificationException;

/** Where Intel collateral for a quote comes from when the caller did not supply it. */
@FunctionalInterface
public interface CollateralSource {
  /**
   * The collateral (TCB info, QE identity, CRLs, issuer chains) for {@code quote}'s platform. Not
   * yet verified: the quote verifier checks it against the pinned root.
   *
   * @throws VerificationException {@link dev.vouch.core.Failure#COLLATERAL_MISSING} when it cannot
   *     be obtained
   */
  DcapCollateral collateralFor(DcapQuote quote) throws VerificationException;
}
