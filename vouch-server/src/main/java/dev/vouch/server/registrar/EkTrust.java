package dev.vouch.server.registrar;

import dev.vouch.core.VerificationException;
import dev.vouch.core.pki.CertPaths;
import dev.vouch.core.pki.PathResult;
import dev.vouch.core.pki.PathSettings;
import dev.vouch.core.pki.Revocation;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * The TPM manufacturer roots (and intermediate CAs) the registrar accepts EK certificates from, and
 * the check of one EK certificate against them by the one path validator of Vouch ({@link
 * CertPaths}): path building through the configured intermediates, signatures, validity at the
 * given instant (of the root too), basic constraints and path length, keyCertSign on every CA, no
 * unknown critical extension, and revocation by offline CRLs of every issuer. EK certificates carry
 * the TCG EK extended key usage and often an empty subject with a critical subjectAltName, which
 * PKIX processes; the EK itself is a decryption key, so its keyUsage is not required to allow
 * signing.
 *
 * <p>Revocation is required unless the trust was built {@link #withoutRevocation} (for CAs that
 * cannot sign CRLs, such as swtpm's local CA); {@link #validate} says which applied.
 */
public final class EkTrust {
  private final PathSettings settings;
  private final List<X509Certificate> intermediates;
  private final List<X509CRL> crls;

  /**
   * A trust that requires current CRLs of every issuer on an EK certificate's path.
   *
   * @param roots trusted manufacturer roots; only these end a path
   * @param intermediates CA certificates a path may pass through (never trusted on their own)
   * @param crls the CRLs of the roots and intermediates
   */
  public EkTrust(
      List<X509Certificate> roots, List<X509Certificate> intermediates, List<X509CRL> crls) {
    this(roots, intermediates, crls, Revocation.REQUIRED);
  }

  private EkTrust(
      List<X509Certificate> roots,
      List<X509Certificate> intermediates,
      List<X509CRL> crls,
      Revocation revocation) {
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("no TPM manufacturer root configured");
    }
    this.settings = PathSettings.of(roots).withRevocation(revocation);
    this.intermediates = List.copyOf(intermediates);
    this.crls = List.copyOf(crls);
  }

  private EkTrust() {
    this.settings = null;
    this.intermediates = List.of();
    this.crls = List.of();
  }

  /**
   * A trust that checks no revocation, said explicitly: for CAs that publish no CRL or cannot sign
   * one (swtpm's local CA has keyCertSign only). {@link #validate} then reports {@code
   * revocationChecked() == false}.
   */
  public static EkTrust withoutRevocation(
      List<X509Certificate> roots, List<X509Certificate> intermediates) {
    return new EkTrust(roots, intermediates, List.of(), Revocation.DISABLED);
  }

  /**
   * A trust that accepts no EK certificate: every {@link #validate} fails with {@link
   * EnrollmentError#EK_ROOTS_NOT_CONFIGURED}. For a registrar started without configured roots, so
   * that agents get a clear answer rather than a missing endpoint.
   */
  public static EkTrust none() {
    return new EkTrust();
  }

  /** True when no root is configured (see {@link #none()}). */
  public boolean isEmpty() {
    return settings == null;
  }

  /**
   * Validates {@code ekCertificate} at {@code at}.
   *
   * @return the validated path and whether revocation was checked
   * @throws EnrollmentException EK_CERT_EXPIRED when a certificate on the path is outside its
   *     validity, EK_CERT_REVOKED when a CRL lists one, EK_REVOCATION_UNKNOWN when a required CRL
   *     is missing, out of date or not signed by its issuer, EK_CHAIN_UNTRUSTED when no valid path
   *     leads to a configured root, EK_ROOTS_NOT_CONFIGURED when there are no roots at all
   */
  public PathResult validate(X509Certificate ekCertificate, Instant at) throws EnrollmentException {
    if (settings == null) {
      throw new EnrollmentException(
          EnrollmentError.EK_ROOTS_NOT_CONFIGURED,
          "the registrar has no TPM manufacturer roots configured (registrar.ek_roots)");
    }
    try {
      return CertPaths.build(ekCertificate, intermediates, crls, at, settings);
    } catch (VerificationException e) {
      EnrollmentError error =
          switch (e.failure()) {
            case CERT_EXPIRED -> EnrollmentError.EK_CERT_EXPIRED;
            case CERT_REVOKED -> EnrollmentError.EK_CERT_REVOKED;
            case COLLATERAL_MISSING, COLLATERAL_EXPIRED, SIGNATURE_INVALID ->
                EnrollmentError.EK_REVOCATION_UNKNOWN;
            default -> EnrollmentError.EK_CHAIN_UNTRUSTED;
          };
      throw new EnrollmentException(
          error,
          "EK certificate issued by "
              + ekCertificate.getIssuerX500Principal().getName()
              + ": "
              + e.getMessage(),
          e);
    }
  }
}
