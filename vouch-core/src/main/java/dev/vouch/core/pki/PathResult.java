package dev.vouch.core.pki;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A certificate path that validated.
 *
 * @param path the certificates from the leaf up to, not including, the anchor
 * @param anchor the trust anchor the path ends at
 * @param revocation the revocation mode that was applied ({@link Revocation#DISABLED} when the
 *     caller turned it off)
 * @param stableAfter with {@code stableBefore}: the same path, anchors and CRLs validate the same
 *     way at every instant strictly between the two (no certificate or CRL window opens or closes
 *     there), so a caller may reuse this result for such instants; both equal the validation time
 *     when it falls on such a boundary
 * @param stableBefore see {@code stableAfter}
 * @param staleCrlsSince with {@link Revocation#REQUIRED_STALE_REPORTED}: the earliest next update
 *     of a CRL that was used past it (no current CRL of that issuer was supplied); empty when every
 *     CRL used was current
 */
public record PathResult(
    List<X509Certificate> path,
    X509Certificate anchor,
    Revocation revocation,
    Instant stableAfter,
    Instant stableBefore,
    Optional<Instant> staleCrlsSince) {
  public PathResult {
    path = List.copyOf(path);
  }

  /**
   * True when this result holds at {@code t} as well: {@code t} lies strictly inside the interval
   * in which no certificate or CRL of the validation changes state.
   */
  public boolean holdsAt(Instant t) {
    return t.isAfter(stableAfter) && t.isBefore(stableBefore);
  }

  /** The leaf certificate. */
  public X509Certificate leaf() {
    return path.get(0);
  }

  /**
   * True when current, validly signed CRLs were checked for the certificates the mode covers (every
   * certificate below the anchor, or every CA certificate for {@link Revocation#CA_CERTIFICATES}),
   * false when revocation checking was turned off.
   */
  public boolean revocationChecked() {
    return revocation != Revocation.DISABLED;
  }
}
