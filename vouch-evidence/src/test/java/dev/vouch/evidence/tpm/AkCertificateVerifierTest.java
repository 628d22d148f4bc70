package dev.vouch.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.pki.PathResult;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AkCertificateVerifierTest {
  private static final String GCE = "tpm-quote/go-tpm-tools/";
  private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

  private final byte[] akCert = Vectors.bytes(GCE + "gce-cos-85-no-nonce/ak_cert.der");
  private final byte[] intermediate = Vectors.bytes(GCE + "gce-ca/tpm_ek_intermediate_2.crt");
  private final byte[] root = Vectors.bytes(GCE + "gce-ca/tpm_ek_root_1.cer");

  private AkKey gceAk() throws VerificationException {
    return AkKeys.parse(Vectors.bytes(GCE + "gce-cos-85-no-nonce/ak_pub.tpmt_public"));
  }

  @Test
  void acceptsTheGoogleAkCertificateChain() throws Exception {
    AkCertificateVerifier v =
        AkCertificateVerifier.ofEncodedRoots(List.of(root)).withoutRevocation();

    PathResult r = v.verify(akCert, List.of(intermediate), List.of(), gceAk(), NOW);

    assertThat(r.path()).hasSize(2);
    assertThat(r.anchor().getSubjectX500Principal()).isEqualTo(r.anchor().getIssuerX500Principal());
    // the vectors ship no Google CRL, so this verifier was told not to check revocation
    assertThat(r.revocationChecked()).isFalse();
  }

  @Test
  void byDefaultRefusesTheChainWithoutGooglesCrls() throws Exception {
    AkCertificateVerifier v = AkCertificateVerifier.ofEncodedRoots(List.of(root));
    assertThat(code(() -> v.verify(akCert, List.of(intermediate), List.of(), gceAk(), NOW)))
        .isEqualTo(Failure.COLLATERAL_MISSING);
  }

  @Test
  void rejectsTheChainAfterTheAkCertificateExpired() throws Exception {
    AkCertificateVerifier v =
        AkCertificateVerifier.ofEncodedRoots(List.of(root)).withoutRevocation();
    assertThat(
            code(
                () ->
                    v.verify(
                        akCert,
                        List.of(intermediate),
                        List.of(),
                        gceAk(),
                        Instant.parse("2052-01-01T00:00:00Z"))))
        .isEqualTo(Failure.CERT_EXPIRED);
    assertThat(
            code(
                () ->
                    v.verify(
                        akCert,
                        List.of(intermediate),
                        List.of(),
                        gceAk(),
                        Instant.parse("2021-01-01T00:00:00Z"))))
        .isEqualTo(Failure.CERT_EXPIRED);
  }

  @Test
  void rejectsAChainToAnotherRoot() throws Exception {
    AkCertificateVerifier other =
        AkCertificateVerifier.ofEncodedRoots(
                List.of(Vectors.bytes(GCE + "gce-ca/gcp_ek_ak_ca_root.crt")))
            .withoutRevocation();
    assertThat(
            code(() -> other.verify(akCert, List.of(intermediate, root), List.of(), gceAk(), NOW)))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void rejectsAChainWithoutItsIntermediate() throws Exception {
    AkCertificateVerifier v =
        AkCertificateVerifier.ofEncodedRoots(List.of(root)).withoutRevocation();
    assertThat(code(() -> v.verify(akCert, List.of(), List.of(), gceAk(), NOW)))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void rejectsACertificateForAnotherKey() throws Exception {
    AkCertificateVerifier v =
        AkCertificateVerifier.ofEncodedRoots(List.of(root)).withoutRevocation();
    AkKey swtpm = AkKeys.parse(Vectors.bytes("swtpm/rsa-ak/ak.pem"));
    assertThat(code(() -> v.verify(akCert, List.of(intermediate), List.of(), swtpm, NOW)))
        .isEqualTo(Failure.KEY_MISMATCH);
  }

  @Test
  void rejectsAnUnreadableCertificate() throws Exception {
    AkCertificateVerifier v =
        AkCertificateVerifier.ofEncodedRoots(List.of(root)).withoutRevocation();
    byte[] broken = java.util.Arrays.copyOf(akCert, 100);
    assertThat(code(() -> v.verify(broken, List.of(intermediate), List.of(), gceAk(), NOW)))
        .isEqualTo(Failure.MALFORMED);
  }

  private static Failure code(TpmQuoteVerifierTest.ThrowingRunnable r) {
    return catchThrowableOfType(VerificationException.class, r::run).failure();
  }

  @Test
  void verifiesTheCertificateOfABundleOrSaysItIsMissing() throws Exception {
    AkCertificateVerifier v =
        AkCertificateVerifier.ofEncodedRoots(List.of(root)).withoutRevocation();
    TpmEvidenceBundle withCert = TpmEvidenceBundleTest.gceBundle();
    dev.vouch.evidence.Expectations now =
        new dev.vouch.evidence.Expectations(java.util.Optional.empty(), NOW);

    assertThat(v.verify(withCert, now).path()).hasSize(2);

    TpmEvidenceBundle without =
        new TpmEvidenceBundle(
            withCert.ak(),
            java.util.Optional.empty(),
            List.of(),
            withCert.quotes(),
            withCert.pcrs(),
            java.util.Optional.empty(),
            java.util.Optional.empty(),
            java.util.Optional.empty());
    assertThat(code(() -> v.verify(without, now))).isEqualTo(Failure.COLLATERAL_MISSING);
  }

  @Test
  void theTpmVerifierSaysWhetherTheAkPathWasCheckedForRevocation() throws Exception {
    AkCertificateVerifier v = AkCertificateVerifier.ofEncodedRoots(List.of(root));
    TpmEvidenceBundle full = TpmEvidenceBundleTest.gceBundle();
    // the quotes and the AK certificate only (that bundle's logs are placeholders)
    TpmEvidenceBundle gce =
        new TpmEvidenceBundle(
            full.ak(),
            full.akCert(),
            full.akChain(),
            full.quotes(),
            full.pcrs(),
            java.util.Optional.empty(),
            java.util.Optional.empty(),
            java.util.Optional.empty());
    dev.vouch.evidence.Expectations now =
        new dev.vouch.evidence.Expectations(java.util.Optional.empty(), NOW);
    dev.vouch.core.Claims c =
        TpmEvidenceVerifier.withAkRoots(v.withoutRevocation()).verify(gce, now).claims();
    assertThat(c.get(TpmClaims.AK_CERTIFIED)).isEqualTo(true);
    assertThat(c.get(TpmClaims.AK_REVOCATION_CHECKED)).isEqualTo(false);
    assertThat(code(() -> TpmEvidenceVerifier.withAkRoots(v).verify(gce, now)))
        .isEqualTo(Failure.COLLATERAL_MISSING);
  }

  /** A throw-away CA that certifies an EC AK, to revoke it. */
  private static final class TestCa {
    final java.security.KeyPair caKeys = ec();
    final java.security.KeyPair akKeys = ec();
    final X509Certificate ca;
    final X509Certificate ak;

    TestCa() throws Exception {
      org.bouncycastle.asn1.x500.X500Name caName =
          new org.bouncycastle.asn1.x500.X500Name("CN=Test AK CA");
      ca = cert(caName, caName, caKeys.getPublic(), true, 1);
      ak =
          cert(
              new org.bouncycastle.asn1.x500.X500Name("CN=Test AK"),
              caName,
              akKeys.getPublic(),
              false,
              2);
    }

    private X509Certificate cert(
        org.bouncycastle.asn1.x500.X500Name subject,
        org.bouncycastle.asn1.x500.X500Name issuer,
        java.security.PublicKey key,
        boolean isCa,
        long serial)
        throws Exception {
      var b =
          new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(
              issuer,
              java.math.BigInteger.valueOf(serial),
              java.util.Date.from(NOW.minusSeconds(86400)),
              java.util.Date.from(NOW.plusSeconds(86400)),
              subject,
              key);
      b.addExtension(
          org.bouncycastle.asn1.x509.Extension.basicConstraints,
          true,
          new org.bouncycastle.asn1.x509.BasicConstraints(isCa));
      b.addExtension(
          org.bouncycastle.asn1.x509.Extension.keyUsage,
          true,
          new org.bouncycastle.asn1.x509.KeyUsage(
              isCa
                  ? org.bouncycastle.asn1.x509.KeyUsage.keyCertSign
                      | org.bouncycastle.asn1.x509.KeyUsage.cRLSign
                  : org.bouncycastle.asn1.x509.KeyUsage.digitalSignature));
      return new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter()
          .getCertificate(
              b.build(
                  new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
                      .build(caKeys.getPrivate())));
    }

    java.security.cert.X509CRL crl(X509Certificate... revoked) throws Exception {
      var b =
          new org.bouncycastle.cert.X509v2CRLBuilder(
              new org.bouncycastle.asn1.x500.X500Name("CN=Test AK CA"),
              java.util.Date.from(NOW.minusSeconds(3600)));
      b.setNextUpdate(java.util.Date.from(NOW.plusSeconds(3600)));
      for (X509Certificate r : revoked) {
        b.addCRLEntry(
            r.getSerialNumber(),
            java.util.Date.from(NOW.minusSeconds(3600)),
            org.bouncycastle.asn1.x509.CRLReason.keyCompromise);
      }
      return new org.bouncycastle.cert.jcajce.JcaX509CRLConverter()
          .getCRL(
              b.build(
                  new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
                      .build(caKeys.getPrivate())));
    }

    private static java.security.KeyPair ec() {
      try {
        var g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
      } catch (java.security.GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  @Test
  void rejectsAnAkCertificateItsCaRevokedAndAcceptsItWithACurrentCrl() throws Exception {
    TestCa t = new TestCa();
    AkCertificateVerifier v = new AkCertificateVerifier(List.of(t.ca));
    AkKey ak = AkKeys.of(t.akKeys.getPublic());
    byte[] der = t.ak.getEncoded();
    assertThat(v.verify(der, List.of(), List.of(t.crl()), ak, NOW).revocationChecked()).isTrue();
    assertThat(code(() -> v.verify(der, List.of(), List.of(t.crl(t.ak)), ak, NOW)))
        .isEqualTo(Failure.CERT_REVOKED);
    assertThat(code(() -> v.verify(der, List.of(), List.of(), ak, NOW)))
        .isEqualTo(Failure.COLLATERAL_MISSING);
  }
}
