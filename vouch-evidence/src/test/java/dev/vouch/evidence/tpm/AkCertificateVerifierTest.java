package dev.vouch.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
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
    AkCertificateVerifier v = AkCertificateVerifier.ofEncodedRoots(List.of(root));

    List<X509Certificate> chain = v.verify(akCert, List.of(intermediate), gceAk(), NOW);

    assertThat(chain).hasSize(3);
    assertThat(chain.get(2).getSubjectX500Principal())
        .isEqualTo(chain.get(2).getIssuerX500Principal());
  }

  @Test
  void rejectsTheChainAfterTheAkCertificateExpired() throws Exception {
    AkCertificateVerifier v = AkCertificateVerifier.ofEncodedRoots(List.of(root));
    assertThat(
            code(
                () ->
                    v.verify(
                        akCert,
                        List.of(intermediate),
                        gceAk(),
                        Instant.parse("2052-01-01T00:00:00Z"))))
        .isEqualTo(Failure.CERT_EXPIRED);
    assertThat(
            code(
                () ->
                    v.verify(
                        akCert,
                        List.of(intermediate),
                        gceAk(),
                        Instant.parse("2021-01-01T00:00:00Z"))))
        .isEqualTo(Failure.CERT_EXPIRED);
  }

  @Test
  void rejectsAChainToAnotherRoot() throws Exception {
    AkCertificateVerifier other =
        AkCertificateVerifier.ofEncodedRoots(
            List.of(Vectors.bytes(GCE + "gce-ca/gcp_ek_ak_ca_root.crt")));
    assertThat(code(() -> other.verify(akCert, List.of(intermediate, root), gceAk(), NOW)))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void rejectsAChainWithoutItsIntermediate() throws Exception {
    AkCertificateVerifier v = AkCertificateVerifier.ofEncodedRoots(List.of(root));
    assertThat(code(() -> v.verify(akCert, List.of(), gceAk(), NOW)))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void rejectsACertificateForAnotherKey() throws Exception {
    AkCertificateVerifier v = AkCertificateVerifier.ofEncodedRoots(List.of(root));
    AkKey swtpm = AkKeys.parse(Vectors.bytes("swtpm/rsa-ak/ak.pem"));
    assertThat(code(() -> v.verify(akCert, List.of(intermediate), swtpm, NOW)))
        .isEqualTo(Failure.KEY_MISMATCH);
  }

  @Test
  void rejectsAnUnreadableCertificate() throws Exception {
    AkCertificateVerifier v = AkCertificateVerifier.ofEncodedRoots(List.of(root));
    byte[] broken = java.util.Arrays.copyOf(akCert, 100);
    assertThat(code(() -> v.verify(broken, List.of(intermediate), gceAk(), NOW)))
        .isEqualTo(Failure.MALFORMED);
  }

  private static Failure code(TpmQuoteVerifierTest.ThrowingRunnable r) {
    return catchThrowableOfType(VerificationException.class, r::run).failure();
  }

  @Test
  void verifiesTheCertificateOfABundleOrSaysItIsMissing() throws Exception {
    AkCertificateVerifier v = AkCertificateVerifier.ofEncodedRoots(List.of(root));
    TpmEvidenceBundle withCert = TpmEvidenceBundleTest.gceBundle();
    dev.vouch.evidence.Expectations now =
        new dev.vouch.evidence.Expectations(java.util.Optional.empty(), NOW);

    assertThat(v.verify(withCert, now)).hasSize(3);

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
}
