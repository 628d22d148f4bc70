package dev.vouch.evidence.tpm;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.Expectations;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks that an AK certificate (such as the one Google's vTPM issues) certifies the AK that signs
 * the quotes and leads to a configured root. Roots are only ever the ones given to the constructor;
 * a root certificate among the intermediates is not trusted for being there.
 *
 * <p>Checks, in order: every certificate parses ({@link Failure#MALFORMED}); the certified key is
 * the AK ({@link Failure#KEY_MISMATCH}); a chain from the AK certificate through the supplied
 * intermediates to a root exists ({@link Failure#CHAIN_UNTRUSTED}); every certificate of that chain
 * is valid at the given instant ({@link Failure#CERT_EXPIRED}); PKIX path validation (signatures,
 * basic constraints, key usage, name constraints) passes ({@link Failure#CHAIN_UNTRUSTED}).
 * Revocation is not checked here.
 *
 * <p>Immutable and thread-safe.
 */
public final class AkCertificateVerifier {
  private final Set<X509Certificate> roots;

  /** A verifier that trusts exactly {@code roots}. */
  public AkCertificateVerifier(Collection<X509Certificate> roots) {
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("at least one root is needed");
    }
    this.roots = Set.copyOf(roots);
  }

  /** A verifier trusting the DER or PEM certificates given. */
  public static AkCertificateVerifier ofEncodedRoots(Collection<byte[]> encodedRoots)
      throws VerificationException {
    List<X509Certificate> certs = new ArrayList<>();
    for (byte[] r : encodedRoots) {
      certs.add(AkKeys.certificate(r));
    }
    return new AkCertificateVerifier(certs);
  }

  /**
   * Verifies the AK certificate.
   *
   * @param akCert the AK certificate, DER or PEM
   * @param intermediates intermediate certificates, DER or PEM, in any order
   * @param ak the AK that signs the quotes
   * @param at the instant at which every certificate must be valid
   * @return the validated chain, AK certificate first, root last
   */
  public List<X509Certificate> verify(
      byte[] akCert, List<byte[]> intermediates, AkKey ak, Instant at)
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
    List<X509Certificate> chain = buildChain(leaf, pool);
    Date date = Date.from(at);
    for (X509Certificate c : chain) {
      try {
        c.checkValidity(date);
      } catch (CertificateExpiredException | CertificateNotYetValidException e) {
        throw new VerificationException(
            Failure.CERT_EXPIRED,
            "certificate " + c.getSubjectX500Principal() + " is not valid at " + at,
            e);
      }
    }
    validate(chain, date);
    return chain;
  }

  /**
   * Verifies the AK certificate and chain a bundle carries against the bundle's AK, at {@code
   * expected.at()}.
   *
   * @throws VerificationException {@link Failure#COLLATERAL_MISSING} when the bundle has no AK
   *     certificate, else as {@link #verify(byte[], List, AkKey, Instant)}
   */
  public List<X509Certificate> verify(TpmEvidenceBundle bundle, Expectations expected)
      throws VerificationException {
    byte[] cert =
        bundle
            .akCert()
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.COLLATERAL_MISSING, "the evidence carries no AK certificate"));
    return verify(cert, bundle.akChain(), bundle.ak(), expected.at());
  }

  // walks issuer links by name and signature; a root ends the walk
  private List<X509Certificate> buildChain(X509Certificate leaf, List<X509Certificate> pool)
      throws VerificationException {
    List<X509Certificate> chain = new ArrayList<>();
    Set<X509Certificate> used = new HashSet<>();
    X509Certificate current = leaf;
    chain.add(leaf);
    for (int depth = 0; depth <= pool.size(); depth++) {
      X509Certificate root = issuerIn(current, roots);
      if (root != null) {
        chain.add(root);
        return chain;
      }
      X509Certificate next = issuerIn(current, pool);
      if (next == null || !used.add(next)) {
        break;
      }
      chain.add(next);
      current = next;
    }
    throw new VerificationException(
        Failure.CHAIN_UNTRUSTED,
        "no chain from the AK certificate (issuer "
            + leaf.getIssuerX500Principal()
            + ") to a trusted root");
  }

  private static X509Certificate issuerIn(X509Certificate cert, Collection<X509Certificate> set) {
    for (X509Certificate candidate : set) {
      if (candidate.getSubjectX500Principal().equals(cert.getIssuerX500Principal())
          && signedBy(cert, candidate)) {
        return candidate;
      }
    }
    return null;
  }

  private static boolean signedBy(X509Certificate cert, X509Certificate issuer) {
    try {
      cert.verify(issuer.getPublicKey());
      return true;
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  private static void validate(List<X509Certificate> chain, Date date)
      throws VerificationException {
    X509Certificate root = chain.get(chain.size() - 1);
    try {
      PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
      params.setRevocationEnabled(false);
      params.setDate(date);
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      CertPathValidator.getInstance("PKIX")
          .validate(cf.generateCertPath(chain.subList(0, chain.size() - 1)), params);
    } catch (CertPathValidatorException e) {
      Failure f =
          e.getReason() == CertPathValidatorException.BasicReason.EXPIRED
                  || e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID
              ? Failure.CERT_EXPIRED
              : Failure.CHAIN_UNTRUSTED;
      throw new VerificationException(f, "AK certificate path: " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new VerificationException(
          Failure.CHAIN_UNTRUSTED, "AK certificate path: " + e.getMessage(), e);
    }
  }
}
