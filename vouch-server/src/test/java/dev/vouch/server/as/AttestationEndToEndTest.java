package dev.vouch.server.as;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.server.MeasuredTpmBundle;
import dev.vouch.server.TestServers;
import dev.vouch.server.TestServers.Client;
import dev.vouch.server.TestServers.Reply;
import dev.vouch.server.TpmVectors;
import dev.vouch.server.http.ApiRoute;
import dev.vouch.server.http.VouchServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server in process over real HTTP with the real swtpm quote: reference values and policies go
 * in through the admin API, tokens come out and are checked with Nimbus from the JWKS JSON alone.
 *
 * <p>Decision under test: evidence that fails verification (tampered PCR values, wrong runtime
 * data) gets a 422 problem with the Failure code and no token; evidence that verifies but does not
 * satisfy the policy gets a signed contraindicated token whose annotated evidence names the failing
 * rules.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AttestationEndToEndTest {
  private static final String ZERO = "00".repeat(32);

  VouchServer server;
  Client client;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    server = VouchServer.start(TestServers.plain(dir));
    client = new Client(server.baseUri());
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @BeforeEach
  void knownReferenceValues() throws Exception {
    client.delete("/api/v1/policies/default-tpm", true);
    registerSample(
        Map.of(
            "tpm.trusted_aks", java.util.List.of(akSpki()),
            "tpm.pcr.sha256.0", java.util.List.of(ZERO),
            "tpm.pcr.sha256.2", java.util.List.of(ZERO),
            "tpm.pcr.sha256.4", java.util.List.of(ZERO),
            "tpm.pcr.sha256.7", java.util.List.of(ZERO)));
  }

  private static String akSpki() throws Exception {
    return Hex.encode(
        HashAlg.SHA256.digest(
            AkKeys.parse(TpmVectors.resource("ak.pem")).publicKey().getEncoded()));
  }

  private void registerSample(Map<String, ?> values) throws Exception {
    Reply r = client.registerSample(values);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
  }

  private Reply attest(byte[] bundle, String nonceHex) {
    String body =
        "{\"tee\":\"tpm\",\"evidence\":\""
            + Base64.getEncoder().encodeToString(bundle)
            + "\",\"nonce\":\""
            + nonceHex
            + "\"}";
    return client.post("/api/v1/attest", body, false);
  }

  /** Verifies with Nimbus from the JWKS JSON only, and returns the cpu0 submod. */
  private Map<String, Object> verifyIndependently(String token) throws Exception {
    String jwks = client.get("/.well-known/jwks.json", false).body();
    SignedJWT jwt = SignedJWT.parse(token);
    ECKey key = (ECKey) JWKSet.parse(jwks).getKeyByKeyId(jwt.getHeader().getKeyID());
    assertThat(key).as("the token's kid is in the JWKS").isNotNull();
    assertThat(jwt.verify(new ECDSAVerifier(key))).isTrue();
    assertThat(jwt.getJWTClaimsSet().getExpirationTime()).isAfter(new Date());
    @SuppressWarnings("unchecked")
    Map<String, Object> cpu0 =
        (Map<String, Object>) jwt.getJWTClaimsSet().getJSONObjectClaim("submods").get("cpu0");
    return cpu0;
  }

  /**
   * Evidence the default TPM policy can affirm: a live swtpm into which a real Secure Boot log and
   * IMA list were measured (the recorded quote has neither, so it can only be contraindicated).
   */
  private MeasuredTpmBundle measured() throws Exception {
    if (measured == null) {
      byte[] nonce = new byte[32];
      new java.security.SecureRandom().nextBytes(nonce);
      measured = MeasuredTpmBundle.make(java.nio.file.Files.createTempDirectory("tpm"), nonce);
    }
    registerSample(measured.references());
    return measured;
  }

  private MeasuredTpmBundle measured;

  @Test
  void aGoodQuoteGetsAnAffirmingTokenThatVerifiesAgainstTheJwks() throws Exception {
    MeasuredTpmBundle m = measured();
    Reply r = attest(m.bundle(), Hex.encode(m.nonce()));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("status").asText()).as(r.body()).isEqualTo("affirming");
    Map<String, Object> cpu0 = verifyIndependently(r.json().get("token").asText());
    assertThat(cpu0.get("ear.status")).isEqualTo("affirming");
    assertThat(cpu0.get("ear.appraisal-policy-id")).isEqualTo("default-tpm");
    @SuppressWarnings("unchecked")
    Map<String, Object> evidence =
        (Map<String, Object>) cpu0.get("ear.veraison.annotated-evidence");
    assertThat(evidence.get("tpm.pcr.sha256.7"))
        .isEqualTo(m.references().get("tpm.pcr.sha256.7").get(0));
    assertThat(evidence.get("tpm.secure_boot")).isEqualTo(true);
    assertThat(String.valueOf(evidence.get("tpm.ima.violations"))).isEqualTo("0");
    assertThat(evidence.get("report_data")).isEqualTo(Hex.encode(m.nonce()));
    assertThat(evidence.get("freshness")).isEqualTo("runtime_data");
  }

  @Test
  void theRecordedQuoteWithoutAnEventLogIsContraindicatedBecauseSecureBootIsNotShown()
      throws Exception {
    Reply r = attest(TpmVectors.bundle(), Hex.encode(TpmVectors.nonce()));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("status").asText()).isEqualTo("contraindicated");
    Map<String, Object> cpu0 = verifyIndependently(r.json().get("token").asText());
    assertThat(String.valueOf(cpu0.get("ear.veraison.annotated-evidence")))
        .contains("secure_boot_on")
        .contains("claim tpm.secure_boot is absent");
  }

  @Test
  void aTamperedPcrValueIsRefusedWithItsFailureCodeAndNoToken() {
    Reply r = attest(TpmVectors.bundle(7), Hex.encode(TpmVectors.nonce()));
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.json().get("type").asText())
        .isEqualTo("https://vouch.dev/problems/pcr-digest-mismatch");
    assertThat(r.json().get("failure").asText()).isEqualTo("PCR_DIGEST_MISMATCH");
    assertThat(r.json().has("token")).isFalse();
  }

  @Test
  void runtimeDataThatIsNotInTheQuoteIsAReportDataMismatch() {
    Reply r = attest(TpmVectors.bundle(), "11".repeat(32));
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().get("failure").asText()).isEqualTo("REPORT_DATA_MISMATCH");
  }

  @Test
  void structuredRuntimeDataIsHashedBeforeTheBindingCheck() {
    String body =
        "{\"tee\":\"tpm\",\"evidence\":\""
            + Base64.getEncoder().encodeToString(TpmVectors.bundle())
            + "\",\"runtime_data\":{\"structured\":{\"nonce\":\"abc\"}}}";
    Reply r = client.post("/api/v1/attest", body, false);
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().get("failure").asText()).isEqualTo("REPORT_DATA_MISMATCH");
  }

  @Test
  void initDataForATpmQuoteWithoutPcr8IsRefused() {
    String body =
        "{\"tee\":\"tpm\",\"evidence\":\""
            + Base64.getEncoder().encodeToString(TpmVectors.bundle())
            + "\",\"nonce\":\""
            + Hex.encode(TpmVectors.nonce())
            + "\",\"init_data\":\""
            + Base64.getEncoder()
                .encodeToString("version = \"0.1.0\"\n".getBytes(StandardCharsets.UTF_8))
            + "\"}";
    Reply r = client.post("/api/v1/attest", body, false);
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().get("failure").asText()).isEqualTo("PCR_VALUES_MISSING");
  }

  @Test
  void unknownReferenceValuesGiveAContraindicatedTokenThatNamesTheRule() throws Exception {
    registerSample(Map.of("tpm.pcr.sha256.7", java.util.List.of("ab".repeat(32))));
    Reply r = attest(TpmVectors.bundle(), Hex.encode(TpmVectors.nonce()));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("status").asText()).isEqualTo("contraindicated");
    Map<String, Object> cpu0 = verifyIndependently(r.json().get("token").asText());
    assertThat(cpu0.get("ear.status")).isEqualTo("contraindicated");
    assertThat(String.valueOf(cpu0.get("ear.veraison.annotated-evidence")))
        .contains("boot_pcr_7")
        .contains("claim tpm.pcr.sha256.7");
  }

  @Test
  void aPolicyChangeTakesEffectWithoutRestart() throws Exception {
    String policy =
        """
        rules:
          - name: pcr10_known
            category: executables
            expr: claims["tpm.pcr.sha256.10"] in reference["tpm.pcr.sha256.10"]
        """;
    Reply put = client.put("/api/v1/policies/default-tpm", policy, true);
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    Reply denied = attest(TpmVectors.bundle(), Hex.encode(TpmVectors.nonce()));
    assertThat(denied.json().get("status").asText()).isEqualTo("contraindicated");
    String pcr10 = denied.json().at("/claims/tpm.pcr.sha256.10").asText();

    registerSample(Map.of("tpm.pcr.sha256.10", java.util.List.of(pcr10)));
    Reply affirmed = attest(TpmVectors.bundle(), Hex.encode(TpmVectors.nonce()));
    assertThat(affirmed.json().get("status").asText()).isEqualTo("affirming");
    assertThat(verifyIndependently(affirmed.json().get("token").asText()).get("ear.status"))
        .isEqualTo("affirming");

    Reply versions = client.get("/api/v1/policies/default-tpm", true);
    assertThat(versions.json().get("latest").asInt()).isEqualTo(1);
    client.put("/api/v1/policies/default-tpm", policy.replace("pcr10_known", "pcr10_ok"), true);
    assertThat(client.get("/api/v1/policies/default-tpm", true).json().get("versions").size())
        .isEqualTo(2);
  }

  @Test
  void theTrusteeShapeAnswersWithTheBareJwt() throws Exception {
    MeasuredTpmBundle m = measured();
    String evidence = Base64.getUrlEncoder().withoutPadding().encodeToString(m.bundle());
    String raw = Base64.getUrlEncoder().withoutPadding().encodeToString(m.nonce());
    String body =
        "{\"verification_requests\":[{\"tee\":\"tpm\",\"evidence\":\""
            + evidence
            + "\",\"runtime_data\":{\"raw\":\""
            + raw
            + "\"}}],\"policy_ids\":[\"default\"]}";
    Reply r = client.post("/attestation", body, false);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.contentType()).startsWith("text/plain");
    assertThat(verifyIndependently(r.body()).get("ear.status")).isEqualTo("affirming");
  }

  @Test
  void aRequestWithoutRuntimeDataIsRefusedUnlessItWaivesFreshness() {
    String evidence = Base64.getEncoder().encodeToString(TpmVectors.bundle());
    Reply vouch =
        client.post("/api/v1/attest", "{\"tee\":\"tpm\",\"evidence\":\"" + evidence + "\"}", false);
    assertThat(vouch.status()).as(vouch.body()).isEqualTo(400);
    assertThat(vouch.contentType()).startsWith("application/problem+json");
    assertThat(vouch.json().get("type").asText())
        .isEqualTo("https://vouch.dev/problems/freshness-required");
    Reply trustee =
        client.post(
            "/attestation",
            "{\"verification_requests\":[{\"tee\":\"tpm\",\"evidence\":\"" + evidence + "\"}]}",
            false);
    assertThat(trustee.status()).as(trustee.body()).isEqualTo(400);
    assertThat(trustee.json().get("type").asText())
        .isEqualTo("https://vouch.dev/problems/freshness-required");
  }

  @Test
  void aWaivedFreshnessIsSaidInTheTokenAndSeenByPolicy() throws Exception {
    String evidence = Base64.getEncoder().encodeToString(TpmVectors.bundle());
    String body = "{\"tee\":\"tpm\",\"evidence\":\"" + evidence + "\",\"freshness\":\"none\"}";
    Reply r = client.post("/api/v1/attest", body, false);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    @SuppressWarnings("unchecked")
    Map<String, Object> evidenceClaims =
        (Map<String, Object>)
            verifyIndependently(r.json().get("token").asText())
                .get("ear.veraison.annotated-evidence");
    assertThat(evidenceClaims.get("freshness")).isEqualTo("none");

    // a policy can refuse what was not fresh
    String policy =
        """
        rules:
          - name: fresh
            category: instance_identity
            expr: input["freshness"] == "runtime_data"
        """;
    assertThat(client.put("/api/v1/policies/default-tpm", policy, true).status()).isEqualTo(200);
    assertThat(client.post("/api/v1/attest", body, false).json().get("status").asText())
        .isEqualTo("contraindicated");
    Reply fresh = attest(TpmVectors.bundle(), Hex.encode(TpmVectors.nonce()));
    assertThat(fresh.json().get("status").asText()).isEqualTo("affirming");
  }

  @Test
  void aWaivedFreshnessWithANonceIsRefused() {
    String body =
        "{\"tee\":\"tpm\",\"evidence\":\""
            + Base64.getEncoder().encodeToString(TpmVectors.bundle())
            + "\",\"nonce\":\""
            + Hex.encode(TpmVectors.nonce())
            + "\",\"freshness\":\"none\"}";
    Reply r = client.post("/api/v1/attest", body, false);
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.json().get("type").asText())
        .isEqualTo("https://vouch.dev/problems/freshness-required");
  }

  @Test
  void aTeeWithoutItsTrustMaterialIsRefusedSayingWhatIsMissing() {
    Reply tdx =
        client.post(
            "/api/v1/attest",
            "{\"tee\":\"tdx\",\"evidence\":\"AA==\",\"freshness\":\"none\"}",
            false);
    assertThat(tdx.status()).as(tdx.body()).isEqualTo(422);
    assertThat(tdx.json().get("failure").asText()).isEqualTo("UNSUPPORTED");
    assertThat(tdx.json().get("detail").asText()).contains("no Intel collateral");
    Reply cca =
        client.post(
            "/api/v1/attest",
            "{\"tee\":\"cca\",\"evidence\":\"AA==\",\"freshness\":\"none\"}",
            false);
    assertThat(cca.json().get("detail").asText()).contains("no CCA platform keys");
  }

  @Test
  void sampleEvidenceIsRefusedUnlessExplicitlyEnabled() {
    String sample =
        Base64.getEncoder()
            .encodeToString(
                "{\"svn\":\"1\",\"report_data\":\"\"}".getBytes(StandardCharsets.UTF_8));
    Reply r =
        client.post(
            "/api/v1/attest",
            "{\"tee\":\"sample\",\"evidence\":\"" + sample + "\",\"freshness\":\"none\"}",
            false);
    assertThat(r.status()).as(r.body()).isEqualTo(422);
    assertThat(r.json().get("failure").asText()).isEqualTo("UNSUPPORTED");
    assertThat(r.json().get("detail").asText()).contains("sample evidence is not accepted");
  }

  @Test
  void malformedJsonIsA400Problem() {
    Reply r = client.post("/api/v1/attest", "{\"tee\": \"tpm\",", false);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.json().get("type").asText())
        .isEqualTo("https://vouch.dev/problems/malformed-json");
  }

  @Test
  void anUnknownTeeIsA400Problem() {
    Reply r = client.post("/api/v1/attest", "{\"tee\":\"quantum\",\"evidence\":\"AA==\"}", false);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("type").asText()).isEqualTo("https://vouch.dev/problems/unknown-tee");
  }

  @Test
  void aPolicyThatDoesNotCompileIsRefusedWithItsPositionAndNothingIsStored() throws Exception {
    String bad =
        """
        rules:
          - name: broken
            category: executables
            expr: claims["x"] ==
        """;
    Reply r = client.put("/api/v1/policies/broken", bad, true);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("type").asText())
        .isEqualTo("https://vouch.dev/problems/policy-invalid");
    assertThat(r.json().get("rule").asText()).isEqualTo("broken");
    assertThat(r.json().get("line").asInt()).isPositive();
    assertThat(r.json().get("column").asInt()).isPositive();
    assertThat(rows("SELECT COUNT(*) FROM policies WHERE id = 'broken'")).isZero();
    assertThat(client.get("/api/v1/policies/broken", true).status()).isEqualTo(404);
  }

  @Test
  void aBadReferenceValueMessageStoresNothing() throws Exception {
    long before = rows("SELECT COUNT(*) FROM reference_values");
    Reply r =
        client.post(
            "/api/v1/reference-values",
            "{\"version\":\"0.1.0\",\"type\":\"signed\",\"payload\":\"a.b.c\"}",
            true);
    assertThat(r.status()).isIn(400, 422);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(rows("SELECT COUNT(*) FROM reference_values")).isEqualTo(before);
  }

  @Test
  void adminRoutesNeedTheBearerToken() {
    Reply r = client.put("/api/v1/policies/p", "rules: []", false);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.json().get("type").asText()).isEqualTo("https://vouch.dev/problems/unauthorized");
    assertThat(client.get("/api/v1/reference-values/tpm.pcr.sha256.0", false).status())
        .isEqualTo(401);
  }

  @Test
  void aReferenceValueCanBeReadBackWithItsProvenance() {
    Reply r = client.get("/api/v1/reference-values/tpm.pcr.sha256.0", true);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("values").get(0).asText()).isEqualTo(ZERO);
    assertThat(r.json().at("/provenance/kind").asText()).isEqualTo("sample");
    assertThat(r.json().get("valid").asBoolean()).isTrue();
  }

  @Test
  void theOpenApiDocumentListsEveryApiRoute() {
    JsonNode doc = client.get("/api/v1/openapi.json", false).json();
    assertThat(doc.get("openapi").asText()).isEqualTo("3.1.0");
    java.util.List<ApiRoute> routes = server.services().openApi().routes();
    assertThat(routes)
        .extracting(ApiRoute::path)
        .contains(
            "/api/v1/attest",
            "/api/v1/jwks",
            "/api/v1/policies/{id}",
            "/api/v1/reference-values",
            "/api/v1/reference-values/{name}");
    for (ApiRoute route : routes) {
      assertThat(doc.at("/paths").get(route.path())).as(route.path()).isNotNull();
      assertThat(doc.at("/paths").get(route.path()).has(route.method().toLowerCase()))
          .as(route.method() + " " + route.path())
          .isTrue();
    }
  }

  @Test
  void healthReadinessAndMetricsAnswer() {
    assertThat(client.get("/healthz", false).status()).isEqualTo(200);
    assertThat(client.get("/readyz", false).json().get("status").asText()).isEqualTo("ready");
    client.get("/api/v1/jwks", false);
    assertThat(client.get("/metrics", false).body())
        .contains("http_server_requests_seconds_count")
        .contains("uri=\"/api/v1/jwks\"");
  }

  @Test
  void anUnknownPathIsA404Problem() {
    Reply r = client.get("/api/v1/nothing-here", false);
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.contentType()).startsWith("application/problem+json");
  }

  private long rows(String sql) throws Exception {
    try (Connection c = server.services().database().dataSource().getConnection();
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
