package dev.vouch.evidence.tpm;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.pki.CertPaths;
import dev.vouch.core.pki.PathResult;
import dev.vouch.core.pki.PathSettings;
import dev.vouch.core.pki.Revocation;
import dev.vouch.evidence.Expectations;
import java.io.ByteArrayInputStream;
import java.security.cert.CRL;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Checks that an AK certificate (such as the one Google's vTPM issues) certifies the AK that signs
 * the quotes and leads to a configured root. Roots are only ever the ones given to the constructor;
 * a root certificate among the intermediates is not trusted for being there.
 *
 * <p>Checks, in order: every certificate parses ({@link Failure#MALFORMED}); the certified key is
 * the AK ({@link Failure#KEY_MISMATCH}); then the path from the AK certificate through the supplied
 * intermediates to a root is built and validated by {@link CertPaths}: signatures, basic
 * constraints, keyCertSign on every CA, a keyUsage on the AK certificate that allows
 * digitalSignature (an AK signs quotes), no unknown critical extension ({@link
 * Failure#CHAIN_UNTRUSTED}), every certificate and the root valid at the given instant ({@link
 * Failure#CERT_EXPIRED}), and current CRLs of every issuer among the caller's CRLs ({@link
 * Failure#COLLATERAL_MISSING}, {@link Failure#COLLATERAL_EXPIRED}, {@link Failure#CERT_REVOKED}).
 * Revocation is required unless the verifier was built {@link #withoutRevocation()}; the result
 * says which.
 *
 * <p>Immutable and thread-safe.
 */
public final class AkCertificateVerifier {
  private final PathSettings settings;

  /** A verifier that trusts exactly {@code roots} and requires current CRLs. */
  public AkCertificateVerifier(Collection<X509Certificate> roots) {
    this(settings(roots, Revocation.REQUIRED));
  }

  private AkCertificateVerifier(PathSettings settings) {
    this.settings = settings;
  }

  private static PathSettings settings(Collection<X509Certificate> roots, Revocation r) {
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("at least one root is needed");
    }
    return PathSettings.of(List.copyOf(roots)).withRevocation(r).withLeafSigningData(true);
  }

  /**
   * A verifier trusting the DER or PEM certificates given; files that are CRLs are skipped (a
   * collateral folder holds the roots and their CRLs together).
   */
  public static AkCertificateVerifier ofEncodedRoots(Collection<byte[]> encodedRoots)
      throws VerificationException {
    List<X509Certificate> certs = new ArrayList<>();
    for (byte[] r : encodedRoots) {
      if (crl(r) == null) {
        certs.add(AkKeys.certificate(r));
      }
    }
    return new AkCertificateVerifier(certs);
  }

  /**
   * This verifier without the revocation check: no CRL is required, and results say {@code
   * revocationChecked() == false} (the TPM verifier puts that in {@code
   * tpm.ak.revocation_checked}). For recorded evidence whose CA's CRL was not kept.
   */
  public AkCertificateVerifier withoutRevocation() {
    return new AkCertificateVerifier(settings.withRevocation(Revocation.DISABLED));
  }

  /** The CRLs among {@code files} (DER or PEM); other files are ignored. */
  public static List<X509CRL> crls(Collection<byte[]> files) {
    List<X509CRL> out = new ArrayList<>();
    for (byte[] f : files) {
      X509CRL c = crl(f);
      if (c != null) {
        out.add(c);
      }
    }
    return out;
  }

  private static X509CRL crl(byte[] file) {
    try {
      CRL c = CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(file));
      return c instanceof X509CRL x ? x : null;
    } catch (java.security.GeneralSecurityException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Verifies the AK certificate.
   *
   * @param akCert the AK certificate, DER or PEM
   * @param intermediates intermediate certificates, DER or PEM, in any order
   * @param crls CRLs to check revocation with (any issuers; the current ones are used)
   * @param ak the AK that signs the quotes
   * @param at the instant at which every certificate must be valid
   * @return the validated path, AK certificate first, and whether revocation was checked
   */
  public PathResult verify(
      byte[] akCert, List<byte[]> intermediates, List<X509CRL> crls, AkKey ak, Instant at)
      throws VerificationException {
    X509Certificate leaf = AkKeys.certificate(akCert);
    List<X509Certificate> pool = new ArrayList<>();
    for (byte[] c : intermediates) {
      pool.add(AkKeys.certificate(c));
    }
    if (!ak.sameKey(leaf.getPublicKey())) {
      throw new VerificationException(
          Failure.KEY_MISMATCH, "the AK certificate certifies a different key than the AK");
    }
    try {
      return CertPaths.build(leaf, pool, crls, at, settings);
    } catch (VerificationException e) {
      throw new VerificationException(e.failure(), "AK certificate path: " + e.getMessage(), e);
    }
  }

  /**
   * Verifies the AK certificate and chain a bundle carries against the bundle's AK, at {@code
   * expected.at()}, with the CRLs among {@code expected.collateral()}.
   *
   * @throws VerificationException {@link Failure#COLLATERAL_MISSING} when the bundle has no AK
   *     certificate, else as {@link #verify(byte[], List, List, AkKey, Instant)}
   */
  public PathResult verify(TpmEvidenceBundle bundle, Expectations expected)
      throws VerificationException {
    byte[] cert =
        bundle
            .akCert()
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.COLLATERAL_MISSING, "the evidence carries no AK certificate"));
    return verify(cert, bundle.akChain(), crls(expected.collateral()), bundle.ak(), expected.at());
  }
}
