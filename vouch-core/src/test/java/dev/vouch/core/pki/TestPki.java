package dev.vouch.core.pki;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throw-away PKI for validator tests: P-256 keys, certificates and CRLs with chosen flaws. */
final class TestPki {
  static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
  static final Instant YEAR_AGO = NOW.minusSeconds(365L * 86400);
  static final Instant YEAR_ON = NOW.plusSeconds(365L * 86400);
  private static final AtomicLong SERIALS = new AtomicLong(1000);

  /** A certificate with its key pair. */
  record Issued(X509Certificate cert, KeyPair keys) {
    X500Name name() {
      return X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
    }
  }

  /** What to put in one certificate. */
  record Spec(
      String cn,
      boolean ca,
      Integer keyUsage, // null: no keyUsage extension
      Instant notBefore,
      Instant notAfter,
      String criticalOid) { // null: no extra extension

    static Spec ca(String cn) {
      return new Spec(cn, true, KeyUsage.keyCertSign | KeyUsage.cRLSign, YEAR_AGO, YEAR_ON, null);
    }

    static Spec leaf(String cn) {
      return new Spec(cn, false, KeyUsage.digitalSignature, YEAR_AGO, YEAR_ON, null);
    }

    Spec usage(Integer ku) {
      return new Spec(cn, ca, ku, notBefore, notAfter, criticalOid);
    }

    Spec valid(Instant from, Instant to) {
      return new Spec(cn, ca, keyUsage, from, to, criticalOid);
    }

    Spec critical(String oid) {
      return new Spec(cn, ca, keyUsage, notBefore, notAfter, oid);
    }
  }

  private TestPki() {}

  static KeyPair keys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  static Issued root(String cn) throws Exception {
    KeyPair k = keys();
    X500Name n = new X500Name("CN=" + cn);
    return new Issued(build(Spec.ca(cn), n, k, n, k), k);
  }

  static Issued issue(Issued issuer, Spec spec) throws Exception {
    KeyPair k = keys();
    return new Issued(
        build(spec, new X500Name("CN=" + spec.cn()), k, issuer.name(), issuer.keys()), k);
  }

  /** Like {@link #issue} with a CRL distribution point naming {@code crlUrl}. */
  static Issued issueWithCrlDistributionPoint(Issued issuer, Spec spec, String crlUrl)
      throws Exception {
    KeyPair k = keys();
    return new Issued(
        build(spec, new X500Name("CN=" + spec.cn()), k, issuer.name(), issuer.keys(), crlUrl), k);
  }

  private static X509Certificate build(
      Spec s, X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys)
      throws Exception {
    return build(s, subject, subjectKeys, issuer, issuerKeys, null);
  }

  private static X509Certificate build(
      Spec s,
      X500Name subject,
      KeyPair subjectKeys,
      X500Name issuer,
      KeyPair issuerKeys,
      String crlUrl)
      throws Exception {
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            issuer,
            BigInteger.valueOf(SERIALS.incrementAndGet()),
            Date.from(s.notBefore()),
            Date.from(s.notAfter()),
            subject,
            subjectKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(s.ca()));
    if (s.keyUsage() != null) {
      b.addExtension(Extension.keyUsage, true, new KeyUsage(s.keyUsage()));
    }
    if (crlUrl != null) {
      var name =
          new org.bouncycastle.asn1.x509.GeneralNames(
              new org.bouncycastle.asn1.x509.GeneralName(
                  org.bouncycastle.asn1.x509.GeneralName.uniformResourceIdentifier, crlUrl));
      var point =
          new org.bouncycastle.asn1.x509.DistributionPoint(
              new org.bouncycastle.asn1.x509.DistributionPointName(name), null, null);
      b.addExtension(
          Extension.cRLDistributionPoints,
          false,
          new org.bouncycastle.asn1.x509.CRLDistPoint(
              new org.bouncycastle.asn1.x509.DistributionPoint[] {point}));
    }
    if (s.criticalOid() != null) {
      b.addExtension(
          new ASN1ObjectIdentifier(s.criticalOid()), true, new DEROctetString(new byte[] {1}));
    }
    return new JcaX509CertificateConverter()
        .getCertificate(
            b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
  }

  /** A CRL by {@code issuer} valid from {@code from} to {@code to}, listing {@code revoked}. */
  static X509CRL crl(Issued issuer, Instant from, Instant to, X509Certificate... revoked)
      throws Exception {
    X509v2CRLBuilder b = new X509v2CRLBuilder(issuer.name(), Date.from(from));
    b.setNextUpdate(Date.from(to));
    for (X509Certificate r : revoked) {
      b.addCRLEntry(r.getSerialNumber(), Date.from(from), CRLReason.keyCompromise);
    }
    return new JcaX509CRLConverter()
        .getCRL(
            b.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.keys().getPrivate())));
  }

  /** A current, empty CRL by {@code issuer}. */
  static X509CRL crl(Issued issuer) throws Exception {
    return crl(issuer, NOW.minusSeconds(86400), NOW.plusSeconds(86400));
  }

  /** The certificate with one bit of its signature flipped. */
  static X509Certificate flipSignatureBit(X509Certificate c) throws Exception {
    byte[] der = c.getEncoded();
    der[der.length - 1] ^= 1;
    return (X509Certificate)
        java.security.cert.CertificateFactory.getInstance("X.509")
            .generateCertificate(new java.io.ByteArrayInputStream(der));
  }
}
