package dev.vouch.core.pki;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A certificate path that validated.
 *
 * @param path the certificates from the leaf up to, not including, the anchor
 * @param anchor the trust anchor the path ends at
 * @param revocation the revocation mode that was applied ({@link Revocation#DISABLED} when the
 *     caller turned it off)
 */
public record PathResult(List<X509Certificate> path, X509Certificate anchor, Revocation revocation) {
  public PathResult {
    path = List.copyOf(path);
  }

  /** The leaf certificate. */
  public X509Certificate leaf() {
    return path.get(0);
  }

  /**
   * True when current, validly signed CRLs were checked for the certificates the mode covers
   * (every certificate below the anchor, or every CA certificate for {@link
   * Revocation#CA_CERTIFICATES}), false when revocation checking was turned off.
   */
  public boolean revocationChecked() {
    return revocation != Revocation.DISABLED;
  }
}
