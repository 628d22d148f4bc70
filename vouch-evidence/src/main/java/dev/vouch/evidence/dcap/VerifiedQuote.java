package dev.vouch.evidence.dcap;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A DCAP quote whose signatures, QE binding and PCK chain verified.
 *
 * @param quote the parsed quote
 * @param pck the PCK certificate's SGX extension
 * @param tcb the TCB verdict; empty only when the verifier was built not to require collateral and
 *     none was supplied
 * @param revocationChecked true when current root and PCK CRLs were checked for the PCK chain
 *     (always with collateral); false only when no collateral was supplied to a verifier built not
 *     to require it
 * @param collateralExpired present when the verification time passed the {@code nextUpdate} of a
 *     TCB info, QE identity or CRL used (their signatures all verified); empty when all were
 *     current. Intel's QvE reports this as {@code collateral_expiration_status}; whether it is
 *     acceptable is the relying party's policy (Vouch's default policies refuse it)
 * @param rootKeyId SHA-384 of the public key (the uncompressed point its certificate holds) of the
 *     root the PCK chain validated to: Intel QvE's {@code root_key_id}, the same for every issuance
 *     of Intel's root key
 */
public record VerifiedQuote(
    DcapQuote quote,
    PckExtensions pck,
    Optional<TcbEvaluation> tcb,
    boolean revocationChecked,
    Optional<CollateralExpiry> collateralExpired,
    byte[] rootKeyId) {
  public VerifiedQuote {
    rootKeyId = rootKeyId.clone();
  }

  @Override
  public byte[] rootKeyId() {
    return rootKeyId.clone();
  }

  /**
   * Collateral past its {@code nextUpdate}.
   *
   * @param since the earliest {@code nextUpdate} passed
   * @param overdue how long before the verification time that was
   */
  public record CollateralExpiry(Instant since, Duration overdue) {}
}
