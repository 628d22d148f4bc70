package dev.vouch.server.registrar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.pki.PathResult;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
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
import org.junit.jupiter.api.Test;

/** PKIX checks of EK certificates, over a vendor-like root, intermediate and EK certificate. */
class EkTrustTest {
  private static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
  private static long serial = 1;

  private record Ca(KeyPair keys, X509Certificate cert) {}

  private static KeyPair keys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static X509Certificate cert(
      String subject, KeyPair subjectKeys, Ca issuer, boolean ca, Instant from, Instant to)
      throws Exception {
    X500Name s = new X500Name("CN=" + subject);
    X500Name i =
        issuer == null ? s : new X500Name(issuer.cert().getSubjectX500Principal().getName());
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            i,
            BigInteger.valueOf(serial++),
            Date.from(from),
            Date.from(to),
            s,
            subjectKeys.getPublic());
    if (ca) {
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } else {
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyEncipherment));
    }
    KeyPair signer = issuer == null ? subjectKeys : issuer.keys();
    return new JcaX509CertificateConverter()
        .getCertificate(
            b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
  }

  private static Ca ca(String name, Ca issuer, Instant from, Instant to) throws Exception {
    KeyPair k = keys();
    return new Ca(k, cert(name, k, issuer, true, from, to));
  }

  private static final Instant YEAR_AGO = NOW.minus(Duration.ofDays(365));
  private static final Instant IN_A_YEAR = NOW.plus(Duration.ofDays(365));

  @Test
  void ekCertificateUnderAConfiguredRootAndIntermediateIsAccepted() throws Exception {
    Ca root = ca("Vendor Root", null, YEAR_AGO, IN_A_YEAR);
    Ca issuing = ca("Vendor EK CA", root, YEAR_AGO, IN_A_YEAR);
    X509Certificate ek = cert("ek", keys(), issuing, false, YEAR_AGO, IN_A_YEAR);
    EkTrust trust = EkTrust.withoutRevocation(List.of(root.cert()), List.of(issuing.cert()));
    assertThatCode(() -> trust.validate(ek, NOW)).doesNotThrowAnyException();
  }

  @Test
  void ekCertificateWithoutItsIntermediateIsUntrusted() throws Exception {
    Ca root = ca("Vendor Root", null, YEAR_AGO, IN_A_YEAR);
    Ca issuing = ca("Vendor EK CA", root, YEAR_AGO, IN_A_YEAR);
    X509Certificate ek = cert("ek", keys(), issuing, false, YEAR_AGO, IN_A_YEAR);
    assertError(
        EkTrust.withoutRevocation(List.of(root.cert()), List.of()),
        ek,
        EnrollmentError.EK_CHAIN_UNTRUSTED);
  }

  @Test
  void ekCertificateOfAnotherVendorIsUntrusted() throws Exception {
    Ca root = ca("Vendor Root", null, YEAR_AGO, IN_A_YEAR);
    Ca other = ca("Other Root", null, YEAR_AGO, IN_A_YEAR);
    X509Certificate ek = cert("ek", keys(), other, false, YEAR_AGO, IN_A_YEAR);
    assertError(
        EkTrust.withoutRevocation(List.of(root.cert()), List.of(other.cert())),
        ek,
        EnrollmentError.EK_CHAIN_UNTRUSTED);
  }

  @Test
  void intermediateIsNeverTrustedOnItsOwn() throws Exception {
    Ca root = ca("Vendor Root", null, YEAR_AGO, IN_A_YEAR);
    Ca issuing = ca("Vendor EK CA", root, YEAR_AGO, IN_A_YEAR);
    X509Certificate ek = cert("ek", keys(), issuing, false, YEAR_AGO, IN_A_YEAR);
    Ca unrelated = ca("Unrelated Root", null, YEAR_AGO, IN_A_YEAR);
    assertError(
        EkTrust.withoutRevocation(List.of(unrelated.cert()), List.of(issuing.cert())),
        ek,
        EnrollmentError.EK_CHAIN_UNTRUSTED);
  }

  @Test
  void expiredEkCertificateOrIssuerIsReportedAsExpired() throws Exception {
    Ca root = ca("Vendor Root", null, YEAR_AGO, IN_A_YEAR);
    X509Certificate oldEk = cert("ek", keys(), root, false, YEAR_AGO, NOW.minusSeconds(1));
    EkTrust trust = EkTrust.withoutRevocation(List.of(root.cert()), List.of());
    assertError(trust, oldEk, EnrollmentError.EK_CERT_EXPIRED);

    Ca expiredIssuer = ca("Old EK CA", root, YEAR_AGO, NOW.minusSeconds(1));
    X509Certificate ek = cert("ek", keys(), expiredIssuer, false, YEAR_AGO, IN_A_YEAR);
    assertError(
        EkTrust.withoutRevocation(List.of(root.cert()), List.of(expiredIssuer.cert())),
        ek,
        EnrollmentError.EK_CERT_EXPIRED);
  }

  @Test
  void noRootIsAConfigurationError() {
    assertThatThrownBy(() -> EkTrust.withoutRevocation(List.of(), List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static X509CRL crl(Ca issuer, Instant from, Instant to, X509Certificate... revoked)
      throws Exception {
    X509v2CRLBuilder b =
        new X509v2CRLBuilder(
            new X500Name(issuer.cert().getSubjectX500Principal().getName()), Date.from(from));
    b.setNextUpdate(Date.from(to));
    for (X509Certificate r : revoked) {
      b.addCRLEntry(r.getSerialNumber(), Date.from(from), CRLReason.keyCompromise);
    }
    return new JcaX509CRLConverter()
        .getCRL(
            b.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.keys().getPrivate())));
  }

  @Test
  void revocationIsRequiredByDefaultAndARevokedEkIsRefused() throws Exception {
    Ca root = ca("Vendor Root", null, YEAR_AGO, IN_A_YEAR);
    Ca issuing = ca("Vendor EK CA", root, YEAR_AGO, IN_A_YEAR);
    X509Certificate ek = cert("ek", keys(), issuing, false, YEAR_AGO, IN_A_YEAR);
    Instant from = NOW.minus(Duration.ofDays(1));
    Instant to = NOW.plus(Duration.ofDays(1));
    List<X509CRL> current = List.of(crl(root, from, to), crl(issuing, from, to));
    PathResult ok =
        new EkTrust(List.of(root.cert()), List.of(issuing.cert()), current).validate(ek, NOW);
    assertThat(ok.revocationChecked()).isTrue();

    assertError(
        new EkTrust(List.of(root.cert()), List.of(issuing.cert()), List.of()),
        ek,
        EnrollmentError.EK_REVOCATION_UNKNOWN);
    assertError(
        new EkTrust(
            List.of(root.cert()),
            List.of(issuing.cert()),
            List.of(crl(root, from, to), crl(issuing, from, to, ek))),
        ek,
        EnrollmentError.EK_CERT_REVOKED);
    assertError(
        new EkTrust(
            List.of(root.cert()),
            List.of(issuing.cert()),
            List.of(crl(root, from, to), crl(issuing, YEAR_AGO, NOW.minusSeconds(60)))),
        ek,
        EnrollmentError.EK_REVOCATION_UNKNOWN);
    PathResult off =
        EkTrust.withoutRevocation(List.of(root.cert()), List.of(issuing.cert())).validate(ek, NOW);
    assertThat(off.revocationChecked()).isFalse();
  }

  @Test
  void aCaWithoutKeyCertSignCannotIssueEkCertificates() throws Exception {
    Ca root = ca("Vendor Root", null, YEAR_AGO, IN_A_YEAR);
    KeyPair k = keys();
    // a "CA" whose keyUsage only allows encipherment, like an EK
    X509Certificate fake = cert("Vendor EK CA", k, root, false, YEAR_AGO, IN_A_YEAR);
    X509Certificate ek = cert("ek", keys(), new Ca(k, fake), false, YEAR_AGO, IN_A_YEAR);
    assertError(
        EkTrust.withoutRevocation(List.of(root.cert()), List.of(fake)),
        ek,
        EnrollmentError.EK_CHAIN_UNTRUSTED);
  }

  private static void assertError(EkTrust trust, X509Certificate ek, EnrollmentError error) {
    assertThatThrownBy(() -> trust.validate(ek, NOW))
        .isInstanceOf(EnrollmentException.class)
        .satisfies(e -> assertThat(((EnrollmentException) e).error()).isEqualTo(error));
  }
}
