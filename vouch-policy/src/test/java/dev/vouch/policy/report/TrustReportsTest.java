package dev.vouch.policy.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.util.X509CertUtils;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.HostStatus;
import java.io.InputStream;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Signed trust reports: JWS with x5c, checked here by Vouch and independently by Nimbus. */
class TrustReportsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant AT = ReportFixture.CREATED.plus(Duration.ofHours(1));

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"secp256r1", "secp384r1"})
  void aSignedReportVerifiesAndReadsBackUnchanged(String curve) throws Exception {
    ReportFixture fx = new ReportFixture(curve);
    String jws = TrustReports.sign(fx.report, fx.key.getPrivate(), fx.chain());
    TrustReport back = TrustReports.verifyWithoutRevocation(jws, List.of(fx.root), AT).report();
    assertThat(back).isEqualTo(fx.report);
    assertThat(back.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
    assertThat(back.parts().get(FlavorPart.PLATFORM).rules().get(0).faults().get(0).name())
        .isEqualTo("PcrValueMismatchSHA256");
    assertThat(back.flavors())
        .containsExactly(
            new TrustReport.FlavorTrust(new java.util.UUID(0, 1), FlavorPart.PLATFORM, false));
  }

  @Test
  void anIndependentNimbusCheckAcceptsTheReport() throws Exception {
    ReportFixture fx = new ReportFixture("secp256r1");
    String jws = TrustReports.sign(fx.report, fx.key.getPrivate(), fx.chain());

    // only Nimbus and the JDK from here on
    JWSObject parsed = JWSObject.parse(jws);
    assertThat(parsed.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
    assertThat(parsed.getHeader().getType().getType()).isEqualTo("vouch-trust-report+jws");
    List<X509Certificate> chain =
        parsed.getHeader().getX509CertChain().stream()
            .map(b -> X509CertUtils.parse(b.decode()))
            .toList();
    chain.get(0).verify(chain.get(1).getPublicKey());
    assertThat(chain.get(1)).isEqualTo(fx.root);
    assertThat(parsed.verify(new ECDSAVerifier((ECPublicKey) chain.get(0).getPublicKey())))
        .isTrue();
    JsonNode body = JSON.readTree(parsed.getPayload().toBytes());
    assertThat(body.path("trust_information").path("OVERALL").asBoolean(true)).isFalse();
    assertThat(body.path("status").asText()).isEqualTo("ATTESTATION_FAILED");
    assertThat(body.path("host_info").path("tpm_version").asText()).isEqualTo("2.0");
    assertThat(body.path("host_info").path("os_name").asText()).isEqualTo("Ubuntu");
    assertThat(body.path("host_info").path("bios_version").asText()).isEqualTo("1.2");
    assertThat(
            body.path("trust_information")
                .path("flavors_trust")
                .path("PLATFORM")
                .path("rules")
                .get(0)
                .path("faults")
                .get(0)
                .path("fault_name")
                .asText())
        .isEqualTo("fault.PcrValueMismatchSHA256");
    assertThat(Instant.parse(body.path("expiration").asText()))
        .isEqualTo(ReportFixture.CREATED.plus(Duration.ofHours(24)));
  }

  @Test
  void aTamperedReportFailsWithSignatureInvalid() throws Exception {
    ReportFixture fx = new ReportFixture("secp256r1");
    String jws = TrustReports.sign(fx.report, fx.key.getPrivate(), fx.chain());
    String[] p = jws.split("\\.");
    String body =
        new String(Base64.getUrlDecoder().decode(p[1]), java.nio.charset.StandardCharsets.UTF_8);
    String forged = body.replaceFirst("\"OVERALL\"\\s*:\\s*false", "\"OVERALL\":true");
    assertThat(forged).isNotEqualTo(body);
    String tampered =
        p[0]
            + "."
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(forged.getBytes(java.nio.charset.StandardCharsets.UTF_8))
            + "."
            + p[2];
    expect(
        () -> TrustReports.verifyWithoutRevocation(tampered, List.of(fx.root), AT).report(),
        Failure.SIGNATURE_INVALID);
  }

  @Test
  void anotherRootAnExpiredReportOrCertificateAndGarbageFailPrecisely() throws Exception {
    ReportFixture fx = new ReportFixture("secp256r1");
    ReportFixture other = new ReportFixture("secp256r1");
    String jws = TrustReports.sign(fx.report, fx.key.getPrivate(), fx.chain());
    expect(
        () -> TrustReports.verifyWithoutRevocation(jws, List.of(other.root), AT).report(),
        Failure.CHAIN_UNTRUSTED);
    expect(
        () -> TrustReports.verifyWithoutRevocation(jws, List.of(), AT).report(),
        Failure.CHAIN_UNTRUSTED);
    expect(
        () ->
            TrustReports.verifyWithoutRevocation(
                    jws, List.of(fx.root), ReportFixture.CREATED.plus(Duration.ofDays(2)))
                .report(),
        Failure.TOKEN_EXPIRED);
    expect(
        () ->
            TrustReports.verifyWithoutRevocation(
                    jws, List.of(fx.root), ReportFixture.CREATED.minus(Duration.ofHours(1)))
                .report(),
        Failure.TOKEN_EXPIRED);
    expect(
        () ->
            TrustReports.verifyWithoutRevocation(
                    jws, List.of(fx.root), ReportFixture.CREATED.plus(Duration.ofDays(400)))
                .report(),
        Failure.CERT_EXPIRED);
    expect(
        () -> TrustReports.verifyWithoutRevocation("not.a.jws", List.of(fx.root), AT).report(),
        Failure.MALFORMED);
    // a report signed by a key other than the leaf certificate's is refused at signing
    expect(
        () -> TrustReports.sign(fx.report, other.key.getPrivate(), fx.chain()),
        Failure.KEY_MISMATCH);
    // a chain without x5c
    String[] p = jws.split("\\.");
    String header =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString("{\"alg\":\"ES256\",\"typ\":\"vouch-trust-report+jws\"}".getBytes());
    expect(
        () ->
            TrustReports.verifyWithoutRevocation(
                    header + "." + p[1] + "." + p[2], List.of(fx.root), AT)
                .report(),
        Failure.CHAIN_UNTRUSTED);
    // a JWS of another type from the same key is not a report
    String untyped =
        Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"ES256\"}".getBytes());
    expect(
        () ->
            TrustReports.verifyWithoutRevocation(
                    untyped + "." + p[1] + "." + p[2], List.of(fx.root), AT)
                .report(),
        Failure.MALFORMED);
  }

  @Test
  void aReportOfAHostThatIsNotVerifiedIsNeverOverallTrusted() throws Exception {
    TrustReport r = ReportFixture.report();
    for (HostStatus status :
        List.of(
            HostStatus.SECURE_BOOT_DISABLED, HostStatus.ATTESTATION_FAILED, HostStatus.UNKNOWN)) {
      TrustReport claimed =
          new TrustReport(
              r.id(),
              r.hostId(),
              r.host(),
              r.secureBoot(),
              status,
              true,
              r.parts(),
              r.flavors(),
              r.detail(),
              r.created(),
              r.expires());
      assertThat(claimed.overall()).as(status.name()).isFalse();
      assertThat(claimed.trusted()).as(status.name()).isFalse();
    }
    // a document that says OVERALL true beside a failure status reads as untrusted too
    com.fasterxml.jackson.databind.node.ObjectNode doc =
        (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(TrustReportJson.toBytes(r));
    doc.put("status", "SECURE_BOOT_DISABLED");
    ((com.fasterxml.jackson.databind.node.ObjectNode) doc.get("trust_information"))
        .put("OVERALL", true);
    TrustReport read = TrustReportJson.read(JSON.writeValueAsBytes(doc));
    assertThat(read.status()).isEqualTo(HostStatus.SECURE_BOOT_DISABLED);
    assertThat(read.overall()).isFalse();
    assertThat(read.trusted()).isFalse();
  }

  @Test
  void realIseclReportsRead() throws Exception {
    TrustReport legacy = TrustReportJson.read(read("ca-data/open-edge/fault_trust_report.json"));
    assertThat(legacy.overall()).isFalse();
    assertThat(legacy.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
    assertThat(legacy.host().osName()).isEqualTo("VMware ESXi");
    assertThat(legacy.host().tpmVersion()).isEqualTo("1.2");
    assertThat(legacy.parts().get(FlavorPart.PLATFORM).trusted()).isTrue();
    // per-flavor trust is derived from the rules of each flavor
    assertThat(legacy.flavors()).extracting(TrustReport.FlavorTrust::trusted).contains(true, false);
    assertThat(legacy.parts().get(FlavorPart.OS).rules())
        .flatExtracting(r -> r.faults())
        .extracting(f -> f.name())
        .contains("PcrEventLogInvalid");
    assertThat(legacy.parts().get(FlavorPart.OS).rules())
        .filteredOn(r -> r.ruleName().equals("PcrEventLogIntegrity"))
        .first()
        .satisfies(r -> assertThat(r.pcrIndex()).hasValue(19));
    // and write, read again: same report
    assertThat(TrustReportJson.read(TrustReportJson.toBytes(legacy))).isEqualTo(legacy);

    var intel20 =
        TrustReportJson.readFlavorsTrust(
            JSON.readTree(read("ca-data/intel-secl/trust_report.json")));
    assertThat(intel20)
        .containsOnlyKeys(
            FlavorPart.HOST_UNIQUE, FlavorPart.OS, FlavorPart.PLATFORM, FlavorPart.SOFTWARE);
    assertThat(intel20.get(FlavorPart.PLATFORM).rules()).hasSize(12);
  }

  @Test
  void malformedReportsFailWithMalformed() {
    for (String bad :
        List.of(
            "[]",
            "{\"id\":\"x\"}",
            "{\"id\":\"00000000-0000-0007-0000-000000000007\",\"trust_information\":{}}",
            "{\"reports\":[]}",
            "{")) {
      expect(() -> TrustReportJson.read(bad.getBytes()), Failure.MALFORMED);
    }
  }

  private static byte[] read(String path) throws Exception {
    try (InputStream in = TrustReportsTest.class.getResourceAsStream("/vectors/" + path)) {
      return in.readAllBytes();
    }
  }

  private static java.security.cert.X509CRL rootCrl(
      ReportFixture fx, Instant from, Instant to, X509Certificate... revoked) throws Exception {
    var b =
        new org.bouncycastle.cert.X509v2CRLBuilder(
            new org.bouncycastle.asn1.x500.X500Name("CN=Vouch Report CA"),
            java.util.Date.from(from));
    b.setNextUpdate(java.util.Date.from(to));
    for (X509Certificate r : revoked) {
      b.addCRLEntry(
          r.getSerialNumber(),
          java.util.Date.from(from),
          org.bouncycastle.asn1.x509.CRLReason.keyCompromise);
    }
    return new org.bouncycastle.cert.jcajce.JcaX509CRLConverter()
        .getCRL(
            b.build(
                new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
                    .build(fx.rootKey.getPrivate())));
  }

  @Test
  void checksTheReportingKeyAgainstTheCasCrlUnlessToldNotTo() throws Exception {
    ReportFixture fx = new ReportFixture("secp256r1");
    String jws = TrustReports.sign(fx.report, fx.key.getPrivate(), fx.chain());
    Instant from = AT.minus(Duration.ofHours(2));
    Instant to = AT.plus(Duration.ofHours(2));

    TrustReports.Verified checked =
        TrustReports.verify(jws, List.of(fx.root), List.of(rootCrl(fx, from, to)), AT);
    assertThat(checked.revocationChecked()).isTrue();
    assertThat(TrustReports.verifyWithoutRevocation(jws, List.of(fx.root), AT).revocationChecked())
        .isFalse();

    expect(
        () ->
            TrustReports.verify(jws, List.of(fx.root), List.of(rootCrl(fx, from, to, fx.leaf)), AT),
        Failure.CERT_REVOKED);
    expect(
        () -> TrustReports.verify(jws, List.of(fx.root), List.of(), AT),
        Failure.COLLATERAL_MISSING);
    expect(
        () ->
            TrustReports.verify(
                jws, List.of(fx.root), List.of(rootCrl(fx, from, AT.minusSeconds(1))), AT),
        Failure.COLLATERAL_EXPIRED);
  }

  private static void expect(org.assertj.core.api.ThrowableAssert.ThrowingCallable c, Failure f) {
    assertThatThrownBy(c)
        .isInstanceOfSatisfying(
            VerificationException.class, e -> assertThat(e.failure()).isEqualTo(f));
  }
}
