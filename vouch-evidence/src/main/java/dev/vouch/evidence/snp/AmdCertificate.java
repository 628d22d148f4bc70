package dev.vouch.evidence.snp;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.SignatureScheme;
import dev.vouch.core.crypto.Signatures;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * One certificate of the AMD SEV-SNP hierarchy (ARK, ASK, ASVK, VCEK or VLEK), parsed once and kept
 * with its decoded key. Parsed with BouncyCastle's ASN.1 classes rather than the JDK's certificate
 * factory because AMD issues VCEKs with serial number 0, which strict parsers refuse.
 *
 * <p>Immutable apart from a memo of the issuer whose signature was verified, so that a cached chain
 * costs nothing to re-check. Thread-safe.
 */
final class AmdCertificate {
  private final byte[] der;
  private final X500Name subject;
  private final X500Name issuer;
  private final String subjectCn;
  private final BigInteger serial;
  private final Instant notBefore;
  private final Instant notAfter;
  private final PublicKey publicKey;
  private final byte[] tbs;
  private final byte[] signature;
  private final boolean pssSha384;
  private final Extensions extensions;
  private volatile X509Certificate x509;
  private volatile AmdCertificate verifiedIssuer;
  private volatile VekExtensions vekExtensions;

  private AmdCertificate(byte[] der, Certificate c) throws VerificationException {
    this.der = der;
    this.subject = c.getSubject();
    this.issuer = c.getIssuer();
    this.subjectCn = commonName(subject);
    this.serial = c.getSerialNumber().getValue();
    this.notBefore = c.getStartDate().getDate().toInstant();
    this.notAfter = c.getEndDate().getDate().toInstant();
    this.publicKey = publicKey(c.getSubjectPublicKeyInfo());
    try {
      this.tbs = c.getTBSCertificate().getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new VerificationException(Failure.MALFORMED, "certificate body cannot be encoded", e);
    }
    this.signature = c.getSignature().getOctets();
    this.pssSha384 = RsaPss.isSha384Salt48(c.getSignatureAlgorithm());
    this.extensions = c.getTBSCertificate().getExtensions();
  }

  /**
   * The certificate as the JDK parses it, for path validation by {@link
   * dev.vouch.core.pki.CertPaths} (the JDK accepts AMD's serial number 0). Parsed on first use.
   *
   * @throws VerificationException {@link Failure#CHAIN_UNTRUSTED} when the JDK refuses it (for
   *     instance a signed algorithm identifier that differs from the outer one): such a certificate
   *     cannot be part of a valid path
   */
  X509Certificate x509() throws VerificationException {
    X509Certificate c = x509;
    if (c == null) {
      try {
        c =
            (X509Certificate)
                CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
      } catch (CertificateException | RuntimeException e) {
        throw new VerificationException(
            Failure.CHAIN_UNTRUSTED,
            subjectCn + " cannot be validated as an X.509 certificate: " + e.getMessage(),
            e);
      }
      x509 = c;
    }
    return c;
  }

  /**
   * Throws {@link Failure#UNSUPPORTED} unless this certificate is signed with RSASSA-PSS, SHA-384,
   * MGF1-SHA-384 and a 48-byte salt, the only scheme AMD signs its certificates with; the path
   * validator would accept other PSS parameters, AMD's hierarchy never uses them.
   */
  void requireAmdScheme() throws VerificationException {
    if (!pssSha384) {
      throw new VerificationException(
          Failure.UNSUPPORTED,
          subjectCn + " is not signed with RSASSA-PSS SHA-384 (salt 48), as AMD signs");
    }
  }

  /**
   * Parses one DER certificate.
   *
   * @throws VerificationException {@link Failure#MALFORMED} when it is not an X.509 certificate
   */
  static AmdCertificate parse(byte[] der) throws VerificationException {
    try {
      ASN1Primitive p = ASN1Primitive.fromByteArray(der);
      Certificate c = Certificate.getInstance(p);
      if (c == null || c.getTBSCertificate() == null) {
        throw new VerificationException(Failure.MALFORMED, "not an X.509 certificate");
      }
      return new AmdCertificate(der.clone(), c);
    } catch (IOException | RuntimeException e) {
      throw new VerificationException(
          Failure.MALFORMED, "not an X.509 certificate: " + e.getMessage(), e);
    }
  }

  private static PublicKey publicKey(SubjectPublicKeyInfo spki) throws VerificationException {
    try {
      ASN1ObjectIdentifier alg = spki.getAlgorithm().getAlgorithm();
      X509EncodedKeySpec spec = new X509EncodedKeySpec(spki.getEncoded(ASN1Encoding.DER));
      if (alg.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
        // BouncyCastle's own key class avoids a conversion on every ECDSA verification
        return KeyFactory.getInstance("EC", Crypto.bouncyCastle()).generatePublic(spec);
      }
      if (alg.equals(PKCSObjectIdentifiers.rsaEncryption)) {
        return KeyFactory.getInstance("RSA").generatePublic(spec);
      }
      if (alg.equals(PKCSObjectIdentifiers.id_RSASSA_PSS)) {
        return KeyFactory.getInstance("RSASSA-PSS").generatePublic(spec);
      }
      throw new VerificationException(
          Failure.UNSUPPORTED, "certificate key algorithm " + alg + " is not used by AMD");
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new VerificationException(
          Failure.MALFORMED, "certificate public key cannot be decoded: " + e.getMessage(), e);
    }
  }

  private static String commonName(X500Name name) {
    RDN[] cns = name.getRDNs(BCStyle.CN);
    if (cns.length != 1) {
      return "";
    }
    return IETFUtils.valueToString(cns[0].getFirst().getValue());
  }

  /**
   * Checks that {@code issuerCert} signed this certificate with RSASSA-PSS, SHA-384, MGF1-SHA-384
   * and a 48-byte salt, the only scheme AMD uses for its certificates. The issuer's name must match
   * too, so a signature by an unrelated key of the same hierarchy is not accepted.
   *
   * @throws VerificationException {@link Failure#CHAIN_UNTRUSTED} when the names or signature do
   *     not match, {@link Failure#UNSUPPORTED} for another signature scheme
   */
  void requireSignedBy(AmdCertificate issuerCert) throws VerificationException {
    if (verifiedIssuer == issuerCert) {
      return;
    }
    if (!issuer.equals(issuerCert.subject)) {
      throw new VerificationException(
          Failure.CHAIN_UNTRUSTED,
          subjectCn + " is issued by " + issuer + ", not by " + issuerCert.subject);
    }
    if (!pssSha384) {
      throw new VerificationException(
          Failure.UNSUPPORTED,
          subjectCn + " is not signed with RSASSA-PSS SHA-384 (salt 48), as AMD signs");
    }
    if (!Signatures.isValid(SignatureScheme.RSA_PSS_SHA384, issuerCert.publicKey, tbs, signature)) {
      throw new VerificationException(
          Failure.CHAIN_UNTRUSTED,
          subjectCn
              + " (serial "
              + serial
              + ") does not carry a valid signature by "
              + issuerCert.subjectCn);
    }
    verifiedIssuer = issuerCert;
  }

  /** The extension's value (the contents of its OCTET STRING), if present. */
  Optional<byte[]> extensionValue(ASN1ObjectIdentifier oid) {
    if (extensions == null) {
      return Optional.empty();
    }
    Extension e = extensions.getExtension(oid);
    return e == null ? Optional.empty() : Optional.of(e.getExtnValue().getOctets());
  }

  /** The AMD extensions of a VCEK or VLEK, decoded once. */
  VekExtensions vekExtensions() throws VerificationException {
    VekExtensions e = vekExtensions;
    if (e == null) {
      e = VekExtensions.of(this);
      vekExtensions = e;
    }
    return e;
  }

  boolean isEc() {
    return publicKey instanceof ECPublicKey || "EC".equals(publicKey.getAlgorithm());
  }

  boolean selfIssued() {
    return subject.equals(issuer);
  }

  byte[] der() {
    return der.clone();
  }

  boolean sameEncoding(AmdCertificate other) {
    return Arrays.equals(der, other.der);
  }

  X500Name subject() {
    return subject;
  }

  X500Name issuer() {
    return issuer;
  }

  String subjectCn() {
    return subjectCn;
  }

  String issuerCn() {
    return commonName(issuer);
  }

  BigInteger serial() {
    return serial;
  }

  Instant notBefore() {
    return notBefore;
  }

  Instant notAfter() {
    return notAfter;
  }

  PublicKey publicKey() {
    return publicKey;
  }

  @Override
  public String toString() {
    return subjectCn + " (issuer " + issuerCn() + ", serial " + serial + ")";
  }
}
