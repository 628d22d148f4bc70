package dev.vouch.evidence.dcap;

import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;

/**
 * The default judgement of expired Intel collateral for callers without a policy (the offline
 * {@code vouch verify} and the demo): the verifiers report expiry as the claim {@code
 * <tee>.collateral_expiration_status}, as Trustee does; this refuses it with {@link
 * Failure#COLLATERAL_EXPIRED}, as the default AS policies do.
 */
public final class ExpiredCollateral {
  private ExpiredCollateral() {}

  /**
   * @throws VerificationException {@link Failure#COLLATERAL_EXPIRED} when {@code v} says that its
   *     Intel collateral was past its {@code nextUpdate}
   */
  public static void refuse(VerifiedEvidence v) throws VerificationException {
    String tee = v.tee().wireName();
    if ("1".equals(v.claims().get(tee + ".collateral_expiration_status"))) {
      throw new VerificationException(
          Failure.COLLATERAL_EXPIRED,
          "Intel collateral (TCB info, QE identity or CRL) expired at "
              + v.claims().get(tee + ".collateral_expired_since")
              + "; signatures verified, a policy may allow a grace period with "
              + tee
              + ".collateral_overdue_seconds");
    }
  }

  /**
   * Puts {@code <tee>.collateral_expiration_status} ({@code "1"} or {@code "0"}) and, when expired,
   * {@code <tee>.collateral_expired_since} and {@code <tee>.collateral_overdue_seconds}.
   */
  public static void putClaims(Claims.Builder c, String tee, VerifiedQuote v) {
    c.put(tee + ".collateral_expiration_status", v.collateralExpired().isPresent() ? "1" : "0");
    v.collateralExpired()
        .ifPresent(
            x -> {
              c.put(tee + ".collateral_expired_since", x.since().toString());
              c.put(tee + ".collateral_overdue_seconds", x.overdue().toSeconds());
            });
  }
}
