package dev.vouch.server.kbs;

import static dev.vouch.server.kbs.KbsProtocolTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.server.as.AttestationInput;
import dev.vouch.server.as.AttestationOutcome;
import dev.vouch.server.as.RuntimeData;
import dev.vouch.server.config.ServerConfig;
import io.javalin.Javalin;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server takes Trustee's {@code az-snp-vtpm} evidence: {@code /kbs/v0/auth} accepts the kind,
 * {@code /kbs/v0/attest} verifies through the Azure verifier (Trustee's vector verifies as a whole
 * but binds the runtime data {@code "challenge"}, not this handshake, so the KBS refuses it for its
 * binding), and the attestation service, given that runtime data, issues a token with Trustee's
 * az-snp-vtpm claim tree. An {@code az-tdx-vtpm} KBS is refused at start when no Intel collateral
 * is configured.
 */
class KbsAzureVtpmTest {
  /** Within the validity of the vector's VCEK and AMD's chain. */
  static final Instant AT = Instant.parse("2025-07-01T00:00:00Z");

  final MutableClock clock = new MutableClock(AT);
  RealAttestation as;
  Javalin app;

  /** The vectors carry no ARK CRL (Trustee checks none for this kind): revocation off. */
  RealAttestation attestation() {
    as =
        new RealAttestation(
            clock, Duration.ofMinutes(5), ServerConfig.Verifiers.defaults().withRevocation(false));
    return as;
  }

  DocClient kbs() {
    app =
        KbsHarness.serve(
            EnumSet.of(Tee.AZ_SNP_VTPM), attestation(), new InMemoryResourceStore(), clock);
    return new DocClient("http://127.0.0.1:" + app.port());
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.stop();
    }
    if (as != null) {
      as.close();
    }
  }

  static byte[] vector(String name) throws Exception {
    try (InputStream in = KbsAzureVtpmTest.class.getResourceAsStream("/azure/" + name)) {
      return in.readAllBytes();
    }
  }

  static String body(JWK key, String nonce, byte[] evidence) {
    return "{\"runtime-data\":{\"nonce\":\""
        + nonce
        + "\",\"tee-pubkey\":"
        + DocClient.teePubkey(key)
        + "},\"tee-evidence\":{\"primary_evidence\":"
        + new String(evidence, StandardCharsets.UTF_8)
        + ",\"additional_evidence\":\"\"}}";
  }

  @Test
  void authAcceptsTrusteesAzureKindAndAttestVerifiesThroughItsBinding() throws Exception {
    DocClient c = kbs();
    HttpResponse<String> challenge = c.auth("az-snp-vtpm");
    assertThat(challenge.statusCode()).as(challenge.body()).isEqualTo(200);
    JWK key = DocClient.ecKey(Curve.P_256);
    HttpResponse<String> r =
        c.post(
            "/kbs/v0/attest",
            body(key, c.nonce, vector("az-snp-vtpm-evidence-v1.json")),
            Optional.empty());
    // everything in the evidence verifies; its vTPM nonce is not this handshake's binding
    assertError(r, 401, "AttestationError", "REPORT_DATA_MISMATCH");
    assertThat(DocClient.json(r).get("detail").asText()).contains("vTPM quote extraData");
  }

  @Test
  void attestRefusesAChangedAzureEvidenceForWhatChangedNotForItsKind() throws Exception {
    DocClient c = kbs();
    c.auth("az-snp-vtpm");
    JsonNode ev = DocClient.JSON.readTree(vector("az-snp-vtpm-evidence-v1.json"));
    byte[] hcl = Base64.getUrlDecoder().decode(ev.get("hcl_report").asText());
    hcl[1300] ^= 0x01; // inside the HCL variable data
    ((com.fasterxml.jackson.databind.node.ObjectNode) ev)
        .put("hcl_report", Base64.getUrlEncoder().encodeToString(hcl));
    HttpResponse<String> r =
        c.post(
            "/kbs/v0/attest",
            body(DocClient.ecKey(Curve.P_256), c.nonce, DocClient.JSON.writeValueAsBytes(ev)),
            Optional.empty());
    assertError(r, 401, "AttestationError", "HCL_DATA_MISMATCH");
  }

  @Test
  void theAttestationServiceIssuesTrusteesAzureClaimTree() throws Exception {
    RealAttestation service = attestation();
    AttestationOutcome out =
        service.attest(
            new AttestationInput(
                Tee.AZ_SNP_VTPM,
                vector("az-snp-vtpm-evidence-v1.json"),
                Optional.of(new RuntimeData.Raw("challenge".getBytes(StandardCharsets.US_ASCII))),
                "sha384",
                Optional.empty(),
                List.of()));
    JsonNode payload =
        DocClient.JSON.readTree(Base64.getUrlDecoder().decode(out.token().split("\\.")[1]));
    JsonNode tree = payload.at("/submods/cpu0/ear.veraison.annotated-evidence/az-snp-vtpm");
    // Trustee's az_snp_vtpm tests: report_data is the quote's nonce, pcr00 as they pin it
    assertThat(tree.get("report_data").asText()).isEqualTo("6368616c6c656e6765");
    assertThat(tree.at("/tpm/pcr00").asText())
        .isEqualTo("e15c44796beabf46abcec7c57e590942041e47497e4ec27571c8b7664f48dced");
    assertThat(tree.get("init_data").asText()).isEqualTo(tree.at("/tpm/pcr08").asText());
    // parse_tee_evidence_az writes strings and the measurement in base64
    assertThat(tree.get("policy_debug_allowed").isTextual()).isTrue();
    assertThat(Base64.getDecoder().decode(tree.get("measurement").asText())).hasSize(48);
    // the default policy has no reference values here: a token, but not affirming
    assertThat(out.status()).isEqualTo("contraindicated");
    assertThat(payload.at("/submods/cpu0/ear.appraisal-policy-id").asText())
        .isEqualTo("default-az-snp-vtpm");
  }

  @Test
  void azTdxVtpmIsRefusedWithAReasonWhenNoIntelCollateralIsConfigured() {
    attestation();
    assertThatThrownBy(
            () ->
                as.attest(
                    new AttestationInput(
                        Tee.AZ_TDX_VTPM,
                        vector("az-tdx-vtpm-evidence-v1.json"),
                        Optional.of(new RuntimeData.Raw("challenge".getBytes())),
                        "sha384",
                        Optional.empty(),
                        List.of())))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> {
              assertThat(e.failure()).isEqualTo(Failure.UNSUPPORTED);
              assertThat(e.getMessage()).contains("az-tdx-vtpm").contains("Intel collateral");
            });
  }
}
