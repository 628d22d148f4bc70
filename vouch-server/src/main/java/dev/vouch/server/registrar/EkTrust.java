package dev.vouch.server.registrar;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.cert.CertPath;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The TPM manufacturer roots (and intermediate CAs) the registrar accepts EK certificates from, and
 * the PKIX check of one EK certificate against them.
 *
 * <p>The path is built and validated by the JDK's PKIX implementation: signatures, validity at the
 * given instant, CA basic constraints and path length, name chaining. Revocation is not checked
 * (TPM vendors publish CRLs inconsistently; CRL support arrives with the collateral store). EK
 * certificates carry the TCG EK extended key usage and often an empty subject with a critical
 * subjectAltName, which PKIX accepts.
 */
public final class EkTrust {
  private final Set<TrustAnchor> roots;
  private final List<X509Certificate> intermediates;

  /**
   * @param roots trusted manufacturer roots; only these end a path
   * @param intermediates CA certificates a path may pass through (never trusted on their own)
   */
  public EkTrust(List<X509Certificate> roots, List<X509Certificate> intermediates) {
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("no TPM manufacturer root configured");
    }
    Set<TrustAnchor> anchors = new HashSet<>();
    for (X509Certificate r : roots) {
      anchors.add(new TrustAnchor(r, null));
    }
    this.roots = Set.copyOf(anchors);
    this.intermediates = List.copyOf(intermediates);
  }

  private EkTrust() {
    this.roots = Set.of();
    this.intermediates = List.of();
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
    return roots.isEmpty();
  }

  /**
   * Validates {@code ekCertificate} at {@code at}.
   *
   * @throws EnrollmentException EK_CERT_EXPIRED when a certificate on the path is outside its
   *     validity, EK_CHAIN_UNTRUSTED when no path leads to a configured root,
   *     EK_ROOTS_NOT_CONFIGURED when there are no roots at all
   */
  public void validate(X509Certificate ekCertificate, Instant at) throws EnrollmentException {
    if (roots.isEmpty()) {
      throw new EnrollmentException(
          EnrollmentError.EK_ROOTS_NOT_CONFIGURED,
          "the registrar has no TPM manufacturer roots configured (registrar.ek_roots)");
    }
    try {
      ekCertificate.checkValidity(Date.from(at));
    } catch (CertificateExpiredException | CertificateNotYetValidException e) {
      throw new EnrollmentException(
          EnrollmentError.EK_CERT_EXPIRED, "EK certificate is not valid at " + at, e);
    }
    try {
      X509CertSelector target = new X509CertSelector();
      target.setCertificate(ekCertificate);
      PKIXBuilderParameters params = new PKIXBuilderParameters(roots, target);
      params.setRevocationEnabled(false);
      params.setDate(Date.from(at));
      List<X509Certificate> pool = new java.util.ArrayList<>(intermediates);
      pool.add(ekCertificate);
      params.addCertStore(
          CertStore.getInstance("Collection", new CollectionCertStoreParameters(pool)));
      PKIXCertPathBuilderResult built =
          (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(params);
      // build() validates too; validating the built path again keeps the check explicit
      CertPath path = built.getCertPath();
      CertPathValidator.getInstance("PKIX").validate(path, params);
    } catch (CertPathBuilderException | CertPathValidatorException e) {
      if (hasCause(e, CertificateExpiredException.class)
          || hasCause(e, CertificateNotYetValidException.class)
          || issuerOutsideValidity(ekCertificate, at)) {
        throw new EnrollmentException(
            EnrollmentError.EK_CERT_EXPIRED,
            "a CA certificate above the EK certificate is not valid at " + at,
            e);
      }
      throw new EnrollmentException(
          EnrollmentError.EK_CHAIN_UNTRUSTED,
          "EK certificate issued by "
              + ekCertificate.getIssuerX500Principal().getName()
              + " does not chain to a configured TPM manufacturer root",
          e);
    } catch (InvalidAlgorithmParameterException e) {
      throw new IllegalStateException("PKIX parameters", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks PKIX", e);
    }
  }

  /**
   * Diagnosis after a failed build (the JDK's builder only says it found no path): walks up from
   * the EK certificate through configured certificates that signed the one below, and reports
   * whether one of them is outside its validity at {@code at}.
   */
  private boolean issuerOutsideValidity(X509Certificate ek, Instant at) {
    List<X509Certificate> known = new java.util.ArrayList<>(intermediates);
    for (TrustAnchor a : roots) {
      known.add(a.getTrustedCert());
    }
    X509Certificate current = ek;
    for (int depth = 0; depth < 8; depth++) {
      X509Certificate issuer = null;
      for (X509Certificate c : known) {
        if (c.getSubjectX500Principal().equals(current.getIssuerX500Principal())
            && signed(c, current)) {
          issuer = c;
          break;
        }
      }
      if (issuer == null || issuer.equals(current)) {
        return false;
      }
      try {
        issuer.checkValidity(Date.from(at));
      } catch (CertificateExpiredException | CertificateNotYetValidException e) {
        return true;
      }
      current = issuer;
    }
    return false;
  }

  private static boolean signed(X509Certificate issuer, X509Certificate subject) {
    try {
      subject.verify(issuer.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }
}
