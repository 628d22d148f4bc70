package dev.vouch.core.pki;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What one kind of certificate path is checked against: the trust anchors (the only certificates
 * that end a path), how revocation is checked, whether the leaf must be allowed to sign data, and
 * which critical extensions the caller processes itself. Immutable.
 *
 * @param anchors trusted root certificates; a path must end at one of them
 * @param revocation how much of the path needs current CRLs ({@link Revocation#REQUIRED} by
 *     default)
 * @param leafSignsData when true, a leaf whose keyUsage is restricted must allow digitalSignature
 *     (a leaf without the extension is unrestricted, RFC 5280 4.2.1.3)
 * @param allowedCriticalExtensions OIDs of critical extensions the caller understands and checks
 *     itself (beyond those the JDK's PKIX validator processes); any other unknown critical
 *     extension fails the path
 */
public record PathSettings(
    List<X509Certificate> anchors,
    Revocation revocation,
    boolean leafSignsData,
    Set<String> allowedCriticalExtensions) {

  public PathSettings {
    anchors = List.copyOf(anchors);
    Objects.requireNonNull(revocation, "revocation");
    allowedCriticalExtensions = Set.copyOf(allowedCriticalExtensions);
    if (anchors.isEmpty()) {
      throw new IllegalArgumentException("at least one trust anchor is needed");
    }
  }

  /** Revocation required, leaf usage unchecked, no extra critical extensions. */
  public static PathSettings of(List<X509Certificate> anchors) {
    return new PathSettings(anchors, Revocation.REQUIRED, false, Set.of());
  }

  /** These settings with another revocation mode. */
  public PathSettings withRevocation(Revocation r) {
    return new PathSettings(anchors, r, leafSignsData, allowedCriticalExtensions);
  }

  /** These settings requiring (or not) that a restricted leaf keyUsage allows digitalSignature. */
  public PathSettings withLeafSigningData(boolean required) {
    return new PathSettings(anchors, revocation, required, allowedCriticalExtensions);
  }

  /** These settings also accepting the given critical extensions, which the caller checks. */
  public PathSettings allowingCriticalExtensions(Set<String> oids) {
    return new PathSettings(anchors, revocation, leafSignsData, oids);
  }
}
