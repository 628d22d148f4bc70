package dev.vouch.evidence.dcap;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.SignatureScheme;
import dev.vouch.core.crypto.Signatures;
import dev.vouch.core.pki.CertPaths;
import dev.vouch.core.pki.PathResult;
import dev.vouch.core.pki.PathSettings;
import dev.vouch.core.pki.Revocation;
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
import java.util.List;

/**
 * Intel's SGX PKI: the pinned Intel SGX Root CA and the checks every Intel certificate, CRL and
 * signature goes through. Certificate paths are validated by the one validator of Vouch ({@link
 * CertPaths}) with {@link #pathSettings()}.
 */
public final class IntelPki {
  private static final String ECDSA_SHA256_OID = "1.2.840.10045.4.3.2";
  private static final String ROOT_RESOURCE = "/dev/vouch/evidence/dcap/Intel_SGX_RootCA.der";

  private final X509Certificate root;
  private final PathSettings settings;

  private IntelPki(X509Certificate root) {
    this.root = root;
    this.settings = PathSettings.of(List.of(root)).withLeafSigningData(true);
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

  /**
   * Whether {@code cert} carries a valid ECDSA-SHA256 signature by {@code issuer}'s key. Only to
   * pick candidates (which collateral certificate Intel issued); trust comes from {@link
   * #validate}.
   */
  static boolean signedBy(X509Certificate cert, X509Certificate issuer)
      throws VerificationException {
    if (!ECDSA_SHA256_OID.equals(cert.getSigAlgOID())
        || !cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
      return false;
    }
    try {
      return Signatures.isValid(
          SignatureScheme.ECDSA_SHA256,
          issuer.getPublicKey(),
          cert.getTBSCertificate(),
          cert.getSignature());
    } catch (CertificateException e) {
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
   * True when {@code cert} is the pinned root or an earlier issuance of it: same subject, same key,
   * self-signed by that key. Quotes of 2020 platforms carry Intel's first 2018 root certificate,
   * whose encoding differs from the one pinned but whose key is the same; trust is in the key (as
   * in Intel's QVL), and the path is validated to the pinned certificate either way.
   */
  boolean isRootReissue(X509Certificate cert) throws VerificationException {
    return isRoot(cert)
        || (cert.getSubjectX500Principal().equals(root.getSubjectX500Principal())
            && Arrays.equals(cert.getPublicKey().getEncoded(), root.getPublicKey().getEncoded())
            && signedBy(cert, root));
  }

  /**
   * The path settings of every Intel certificate: the pinned root is the only anchor, revocation is
   * required, and the leaf (a PCK or TCB signing certificate) may sign (its keyUsage allows
   * digitalSignature, as Intel sets it). No critical extension beyond those PKIX itself processes
   * is allowed: Intel's SGX extension (1.2.840.113741.1.13.1) is non-critical in every PCK
   * certificate of the research vectors, so a certificate that marks it (or anything else) critical
   * is refused until Vouch understands it.
   */
  PathSettings pathSettings() {
    return settings;
  }

  /**
   * Checks the shape of a PCK chain: a leaf, its issuing CA, optionally the pinned root; the
   * signatures, validity, key usage and revocation are checked by {@link #validate}.
   *
   * @return the leaf and its issuing CA
   * @throws VerificationException {@link Failure#CHAIN_UNTRUSTED} for another number of
   *     certificates, wrong roles, or a root other than the pinned one
   */
  PckPath pckPath(List<X509Certificate> chain, String what) throws VerificationException {
    if (chain.size() < 2 || chain.size() > 3) {
      throw new VerificationException(
          Failure.CHAIN_UNTRUSTED, what + " has " + chain.size() + " certificates (2 or 3)");
    }
    X509Certificate leaf = chain.get(0);
    X509Certificate ca = chain.get(1);
    if (chain.size() == 3 && !isRootReissue(chain.get(2))) {
      throw new VerificationException(
          Failure.CHAIN_UNTRUSTED,
          what + " ends at a root that is not the pinned Intel SGX Root CA");
    }
    if (ca.getBasicConstraints() < 0 || leaf.getBasicConstraints() >= 0) {
      throw new VerificationException(
          Failure.CHAIN_UNTRUSTED, what + ": CA and leaf certificates have the wrong roles");
    }
    return new PckPath(leaf, ca);
  }

  /** A PCK certificate and the CA that issued it, in the order the quote carries them. */
  record PckPath(X509Certificate leaf, X509Certificate ca) {
    List<X509Certificate> chain() {
      return List.of(leaf, ca);
    }
  }

  /**
   * Validates {@code path} (leaf first) to the pinned root at {@code at} with {@link CertPaths}:
   * signatures, validity of every certificate and of the root, key usage, critical extensions and,
   * unless {@code revocation} is {@link Revocation#DISABLED}, current CRLs among {@code crls} for
   * every certificate below the root.
   *
   * @throws VerificationException as {@link CertPaths#validate}, the message prefixed with {@code
   *     what}
   */
  PathResult validate(
      List<X509Certificate> path,
      List<X509CRL> crls,
      Instant at,
      Revocation revocation,
      String what)
      throws VerificationException {
    try {
      return CertPaths.validate(path, crls, at, settings.withRevocation(revocation));
    } catch (VerificationException e) {
      throw new VerificationException(e.failure(), what + ": " + e.getMessage(), e);
    }
  }
}
