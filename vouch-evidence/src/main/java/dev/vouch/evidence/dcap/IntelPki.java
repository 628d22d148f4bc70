package dev.vouch.evidence.dcap;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.SignatureScheme;
import dev.vouch.core.crypto.Signatures;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;

/**
 * Intel's SGX PKI: the pinned Intel SGX Root CA and the checks every Intel certificate, CRL and
 * signature goes through. Only ECDSA P-256 with SHA-256 is accepted, as Intel issues nothing else.
 */
public final class IntelPki {
  private static final String ECDSA_SHA256_OID = "1.2.840.10045.4.3.2";
  private static final String ROOT_RESOURCE = "/dev/vouch/evidence/dcap/Intel_SGX_RootCA.der";

  private final X509Certificate root;

  private IntelPki(X509Certificate root) {
    this.root = root;
  }

  /** Intel's production SGX Root CA, built in and pinned. */
  public static IntelPki production() {
    try (InputStream in = IntelPki.class.getResourceAsStream(ROOT_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + ROOT_RESOURCE);
      }
      return new IntelPki(certificate(in.readAllBytes()));
    } catch (IOException | VerificationException e) {
      throw new IllegalStateException("built-in Intel SGX Root CA does not load", e);
    }
  }

  /** A PKI pinned to another root (tests, private deployments). */
  public static IntelPki withRoot(X509Certificate root) {
    return new IntelPki(root);
  }

  /** The pinned root certificate. */
  public X509Certificate root() {
    return root;
  }

  /** Parses one DER certificate. */
  public static X509Certificate certificate(byte[] der) throws VerificationException {
    try {
      return (X509Certificate) factory().generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException | RuntimeException e) {
      throw new VerificationException(Failure.MALFORMED, "certificate does not parse");
    }
  }

  /** Parses one DER CRL. */
  public static X509CRL crl(byte[] der) throws VerificationException {
    try {
      return (X509CRL) factory().generateCRL(new ByteArrayInputStream(der));
    } catch (CRLException | RuntimeException e) {
      throw new VerificationException(Failure.MALFORMED, "CRL does not parse");
    }
  }

  private static CertificateFactory factory() {
    try {
      return CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("JDK lacks X.509", e);
    }
  }

  /** A PEM block: its label ({@code CERTIFICATE}, {@code X509 CRL}) and DER content. */
  record PemBlock(String label, byte[] der) {}

  /** The PEM blocks of a text, in order; text between blocks is ignored. */
  static List<PemBlock> pemBlocks(byte[] pem) throws VerificationException {
    return pemBlocks(pem, false);
  }

  /**
   * The PEM blocks of a text, in order. When {@code strict} (signed evidence), only whitespace and
   * NUL padding may surround the blocks and the base64 must be canonical, so that no byte of the
   * evidence can change without the certificates changing.
   */
  static List<PemBlock> pemBlocks(byte[] pem, boolean strict) throws VerificationException {
    String s = new String(pem, StandardCharsets.ISO_8859_1);
    List<PemBlock> out = new ArrayList<>();
    int from = 0;
    while (true) {
      int begin = s.indexOf("-----BEGIN ", from);
      if (strict && !blank(s, from, begin < 0 ? s.length() : begin)) {
        throw new VerificationException(Failure.MALFORMED, "text outside the PEM blocks");
      }
      if (begin < 0) {
        return out;
      }
      int labelEnd = s.indexOf("-----", begin + 11);
      if (labelEnd < 0) {
        throw new VerificationException(Failure.MALFORMED, "PEM header is not closed");
      }
      String label = s.substring(begin + 11, labelEnd);
      String endMarker = "-----END " + label + "-----";
      int end = s.indexOf(endMarker, labelEnd + 5);
      if (end < 0) {
        throw new VerificationException(Failure.MALFORMED, "PEM block " + label + " has no end");
      }
      String raw = s.substring(labelEnd + 5, end);
      // strict: only line breaks may separate base64 lines, so no byte changes unnoticed
      String body = strict ? raw.replace("\n", "").replace("\r", "") : raw.replaceAll("\\s", "");
      try {
        byte[] der = Base64.getDecoder().decode(body);
        if (strict && !Base64.getEncoder().encodeToString(der).equals(body)) {
          throw new VerificationException(
              Failure.MALFORMED, "PEM block " + label + " is not canonical base64");
        }
        out.add(new PemBlock(label, der));
      } catch (IllegalArgumentException e) {
        throw new VerificationException(Failure.MALFORMED, "PEM block " + label + " is not base64");
      }
      from = end + endMarker.length();
    }
  }

  private static boolean blank(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c != 0 && c != '\n' && c != '\r') {
        return false;
      }
    }
    return true;
  }

  /** The certificates of a PEM chain, in order. */
  static List<X509Certificate> pemCertificates(byte[] pem) throws VerificationException {
    return pemCertificates(pem, false);
  }

  /**
   * The certificates of a PEM chain, in order; strict as in {@link #pemBlocks(byte[], boolean)}.
   */
  static List<X509Certificate> pemCertificates(byte[] pem, boolean strict)
      throws VerificationException {
    List<X509Certificate> out = new ArrayList<>();
    for (PemBlock b : pemBlocks(pem, strict)) {
      if (!b.label().equals("CERTIFICATE")) {
        if (strict) {
          throw new VerificationException(Failure.MALFORMED, "PEM block " + b.label());
        }
        continue;
      }
      X509Certificate c = certificate(b.der());
      if (strict && !encodingMatches(c, b.der())) {
        throw new VerificationException(Failure.MALFORMED, "certificate has trailing bytes");
      }
      out.add(c);
    }
    return out;
  }

  private static boolean encodingMatches(X509Certificate c, byte[] der) {
    try {
      return Arrays.equals(c.getEncoded(), der);
    } catch (java.security.cert.CertificateEncodingException e) {
      return false;
    }
  }

  /** Whether {@code cert} carries a valid ECDSA-SHA256 signature by {@code issuer}'s key. */
  static boolean signedBy(X509Certificate cert, X509Certificate issuer)
      throws VerificationException {
    if (!ECDSA_SHA256_OID.equals(cert.getSigAlgOID())
        || !cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
      return false;
    }
    try {
      return Signatures.verify(
          SignatureScheme.ECDSA_SHA256,
          issuer.getPublicKey(),
          cert.getTBSCertificate(),
          cert.getSignature());
    } catch (CertificateException e) {
      return false;
    }
  }

  /** Whether {@code crl} carries a valid ECDSA-SHA256 signature by {@code issuer}'s key. */
  static boolean signedBy(X509CRL crl, X509Certificate issuer) throws VerificationException {
    if (!ECDSA_SHA256_OID.equals(crl.getSigAlgOID())
        || !crl.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
      return false;
    }
    try {
      return Signatures.verify(
          SignatureScheme.ECDSA_SHA256,
          issuer.getPublicKey(),
          crl.getTBSCertList(),
          crl.getSignature());
    } catch (CRLException e) {
      return false;
    }
  }

  /** True when {@code cert} is the pinned root (same encoding). */
  boolean isRoot(X509Certificate cert) {
    try {
      return Arrays.equals(cert.getEncoded(), root.getEncoded());
    } catch (java.security.cert.CertificateEncodingException e) {
      return false;
    }
  }

  /**
   * Checks that {@code chain} (leaf first, then the issuing CA, optionally the root) leads to the
   * pinned root. Time and revocation are checked separately ({@link #requireValidAt}).
   *
   * @return the leaf and its issuing CA
   * @throws VerificationException {@link Failure#CHAIN_UNTRUSTED} when a signature or name does not
   *     chain, or the chain names a root other than the pinned one
   */
  TrustedChain verifyChain(List<X509Certificate> chain, String what) throws VerificationException {
    if (chain.size() < 2 || chain.size() > 3) {
      throw new VerificationException(
          Failure.CHAIN_UNTRUSTED, what + " has " + chain.size() + " certificates (2 or 3)");
    }
    X509Certificate leaf = chain.get(0);
    X509Certificate ca = chain.get(1);
    if (chain.size() == 3 && !isRoot(chain.get(2))) {
      throw new VerificationException(
          Failure.CHAIN_UNTRUSTED,
          what + " ends at a root that is not the pinned Intel SGX Root CA");
    }
    if (ca.getBasicConstraints() < 0 || leaf.getBasicConstraints() >= 0) {
      throw new VerificationException(
          Failure.CHAIN_UNTRUSTED, what + ": CA and leaf certificates have the wrong roles");
    }
    if (!signedBy(ca, root)) {
      throw new VerificationException(
          Failure.CHAIN_UNTRUSTED,
          what + ": CA certificate is not signed by the Intel SGX Root CA");
    }
    if (!signedBy(leaf, ca)) {
      throw new VerificationException(
          Failure.CHAIN_UNTRUSTED, what + ": leaf certificate is not signed by its CA");
    }
    return new TrustedChain(leaf, Optional.of(ca));
  }

  /** A certificate (and its intermediate CA, when not issued by the root) proven to the root. */
  record TrustedChain(X509Certificate leaf, Optional<X509Certificate> ca) {}

  /**
   * Checks that {@code cert} is within its validity window at {@code at}.
   *
   * @throws VerificationException {@link Failure#CERT_EXPIRED} otherwise
   */
  static void requireValidAt(X509Certificate cert, Instant at, String what)
      throws VerificationException {
    Date d = Date.from(at);
    if (d.before(cert.getNotBefore()) || d.after(cert.getNotAfter())) {
      throw new VerificationException(
          Failure.CERT_EXPIRED,
          what
              + " is valid "
              + cert.getNotBefore().toInstant()
              + " to "
              + cert.getNotAfter().toInstant()
              + ", not at "
              + at);
    }
  }

  /** Fails with {@link Failure#CERT_REVOKED} when {@code crl} lists {@code cert}. */
  static void requireNotRevoked(X509Certificate cert, X509CRL crl, String what)
      throws VerificationException {
    if (crl.getRevokedCertificate(cert.getSerialNumber()) != null) {
      throw new VerificationException(
          Failure.CERT_REVOKED,
          what + " (serial " + cert.getSerialNumber().toString(16) + ") is revoked");
    }
  }
}
