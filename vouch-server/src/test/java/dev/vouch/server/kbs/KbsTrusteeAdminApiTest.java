package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Tee;
import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trustee's KBS admin verbs against {@code vouch server}, each request written as Trustee's API
 * documentation (kbs_attestation_protocol.md "Set Attestation Policy", "Set Resource Policy", the
 * OpenAPI kbs.yaml) and its kbs-client send it, each answer compared with what Trustee's api_server
 * returns: 200 with an empty body for the setters, 401 with Trustee's error document otherwise.
 */
class KbsTrusteeAdminApiTest {
  private static final String TYPE = "https://github.com/confidential-containers/kbs/errors/";
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

  @TempDir Path dir;
  private VouchServer server;
  private KeyPair admin;
  private DocClient c;

  @BeforeEach
  void start() throws Exception {
    admin = KbsAdminAndPassportTest.ed25519();
    Path pem = Files.writeString(dir.resolve("admin.pub"), KbsAdminAndPassportTest.pem(admin));
    ServerConfig config =
        TestServers.plain(dir)
            .withKbs(
                new ServerConfig.Kbs(
                    true,
                    Duration.ofMinutes(5),
                    List.of(pem),
                    EnumSet.of(Tee.SAMPLE),
                    Optional.empty()))
            .withVerifiers(ServerConfig.Verifiers.defaults().withSample(true));
    server = VouchServer.start(config, Clock.systemUTC(), List.of());
    c = new DocClient("http://127.0.0.1:" + server.baseUri().getPort());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private Optional<String> bearer() throws Exception {
    return Optional.of(
        "Bearer " + KbsAdminAndPassportTest.edToken(admin, Instant.now().plusSeconds(300)));
  }

  @Test
  void anAttestationPolicySetAsKbsClientSendsItIsStoredListedAndRead() throws Exception {
    String policy =
        """
        rules:
          - name: sample_svn_known
            category: executables
            expr: claims["sample.svn"] == "1"
        """;
    HttpResponse<String> set =
        c.post("/kbs/v0/attestation-policy", setPolicy("cel", "default_cpu", policy), bearer());
    assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
    assertThat(set.body()).isEmpty();

    HttpResponse<String> list = c.get("/kbs/v0/attestation-policy", bearer());
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(DocClient.json(list).findValuesAsText("policy-id")).contains("default_cpu");
    HttpResponse<String> read = c.get("/kbs/v0/attestation-policy/default_cpu", bearer());
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(read.body()).isEqualTo(policy);
  }

  @Test
  void aTrustClaimPolicySetAsKbsClientSendsItSetsTheVectorOfTheTokensItAppraises()
      throws Exception {
    // Trustee's EAR policy shape: exact AR4SI values per trust claim
    String policy =
        """
        trust_claims:
          hardware:
            default: 97
            cases:
              - name: sample_svn_one
                value: 2
                expr: '"sample" in input && input.sample.svn == "1"'
        """;
    HttpResponse<String> set =
        c.post("/kbs/v0/attestation-policy", setPolicy("cel", "svn_cpu", policy), bearer());
    assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
    assertThat(c.get("/kbs/v0/attestation-policy/svn_cpu", bearer()).body()).isEqualTo(policy);

    for (String svn : List.of("1", "2")) {
      String evidence =
          Base64.getEncoder()
              .encodeToString(
                  ("{\"svn\":\"" + svn + "\",\"report_data\":\"\"}")
                      .getBytes(StandardCharsets.UTF_8));
      HttpResponse<String> r =
          c.post(
              "/api/v1/attest",
              "{\"tee\":\"sample\",\"evidence\":\""
                  + evidence
                  + "\",\"freshness\":\"none\",\"policy_ids\":[\"svn_cpu\"]}",
              Optional.empty());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonNode cpu0 =
          DocClient.JSON
              .readTree(
                  Base64.getUrlDecoder()
                      .decode(DocClient.json(r).get("token").asText().split("\\.")[1]))
              .at("/submods/cpu0");
      assertThat(cpu0.at("/ear.trustworthiness-vector/hardware").asInt())
          .as(svn)
          .isEqualTo(svn.equals("1") ? 2 : 97);
    }

    // a trust claim document that does not compile is Trustee's AttestationError, not stored
    String bad = setPolicy("cel", "svn_cpu", "trust_claims: {hardware: {default: 999}}");
    assertTrusteeError(c.post("/kbs/v0/attestation-policy", bad, bearer()), "AttestationError");
    assertThat(c.get("/kbs/v0/attestation-policy/svn_cpu", bearer()).body()).isEqualTo(policy);
  }

  @Test
  void aRegoAttestationPolicyIsRefusedAsTrusteeRefusesAPolicyItCannotSet() throws Exception {
    String rego = "package policy\n\ndefault allow = true\n";
    HttpResponse<String> r =
        c.post("/kbs/v0/attestation-policy", setPolicy("rego", "default_cpu", rego), bearer());
    assertTrusteeError(r, "AttestationError");
    assertThat(DocClient.json(r).get("detail").asText()).contains("Rego");
    assertTrusteeError(
        c.post("/kbs/v0/attestation-policy", "{\"policy_id\":\"x\"}", bearer()),
        "AttestationError");
    assertTrusteeError(
        c.get("/kbs/v0/attestation-policy/never_set", bearer()), "PolicyEngineError");
  }

  @Test
  void aSampleReferenceValueSetAsKbsClientSendsItIsQueriedBack() throws Exception {
    // kbs-client set-sample-reference-value: payload is standard base64 of {key: value}
    String provenance =
        Base64.getEncoder()
            .encodeToString("{\"sample.svn\":[\"1\",\"2\"]}".getBytes(StandardCharsets.UTF_8));
    String message =
        "{\"version\":\"0.1.0\",\"type\":\"sample\",\"payload\":\"" + provenance + "\"}";
    HttpResponse<String> set = c.post("/kbs/v0/reference-value", message, bearer());
    assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
    assertThat(set.body()).isEmpty();

    HttpResponse<String> get = c.get("/kbs/v0/reference-value/sample.svn", bearer());
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(DocClient.json(get)).isEqualTo(DocClient.JSON.readTree("[\"1\",\"2\"]"));
    // the value is the one the attestation service appraises with
    assertThat(server.services().referenceValues().list())
        .anySatisfy(v -> assertThat(v.name()).isEqualTo("sample.svn"));

    assertTrusteeError(c.get("/kbs/v0/reference-value/no.such.value", bearer()), "RvpsError");
    assertTrusteeError(
        c.post("/kbs/v0/reference-value", "{\"version\":\"0.1.0\",\"type\":\"nope\"}", bearer()),
        "RvpsError");
  }

  @Test
  void theResourcePolicyIsListedByIdAsTrusteeListsIt() throws Exception {
    HttpResponse<String> r = c.get("/kbs/v0/resource-policy", bearer());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(DocClient.json(r)).isEqualTo(DocClient.JSON.readTree("[\"resource-policy\"]"));
    HttpResponse<String> doc = c.get("/kbs/v0/resource-policy/resource-policy", bearer());
    assertThat(doc.statusCode()).isEqualTo(200);
    assertThat(DocClient.json(doc).get("policy").asText()).isNotEmpty();
  }

  @Test
  void everyAdminVerbRefusesAMissingOrOverlongAdminToken() throws Exception {
    Optional<String> forYears =
        Optional.of(
            "Bearer "
                + KbsAdminAndPassportTest.edToken(admin, Instant.now().plus(Duration.ofDays(400))));
    for (Optional<String> auth : List.of(Optional.<String>empty(), forYears)) {
      assertTrusteeError(c.post("/kbs/v0/attestation-policy", "{}", auth), "AdminAuthAccess");
      assertTrusteeError(c.get("/kbs/v0/attestation-policy", auth), "AdminAuthAccess");
      assertTrusteeError(c.post("/kbs/v0/reference-value", "{}", auth), "AdminAuthAccess");
      assertTrusteeError(c.get("/kbs/v0/reference-value/x", auth), "AdminAuthAccess");
      assertTrusteeError(c.get("/kbs/v0/resource-policy", auth), "AdminAuthAccess");
      assertTrusteeError(c.post("/kbs/v0/resource/a/b/c", "x", auth), "AdminAuthAccess");
    }
    HttpResponse<String> r = c.get("/kbs/v0/resource-policy", forYears);
    assertThat(DocClient.json(r).get("detail").asText()).contains("lives longer");
  }

  @Test
  void aPathUnderKbsV0ThatNamesNoEndpointIsTrusteesPluginNotFound() throws Exception {
    for (HttpResponse<String> r :
        List.of(
            c.get("/kbs/v0/nebula-ca/credential", bearer()),
            c.post("/kbs/v0/pkcs11/x", "{}", Optional.empty()))) {
      assertThat(r.statusCode()).as(r.body()).isEqualTo(404);
      assertThat(DocClient.json(r).get("type").asText()).isEqualTo(TYPE + "PluginNotFound");
    }
    // the real routes still answer
    assertThat(c.get("/kbs/v0/resource-policy", bearer()).statusCode()).isEqualTo(200);
    assertThat(c.auth("sample").statusCode()).isEqualTo(200);
  }

  /** kbs-client set-attestation-policy: {"type","policy_id","policy": base64url, no padding}. */
  private static String setPolicy(String type, String id, String policy) {
    return "{\"type\":\""
        + type
        + "\",\"policy_id\":\""
        + id
        + "\",\"policy\":\""
        + B64URL.encodeToString(policy.getBytes(StandardCharsets.UTF_8))
        + "\"}";
  }

  private static void assertTrusteeError(HttpResponse<String> r, String kind) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
    JsonNode e = DocClient.json(r);
    assertThat(e.get("type").asText()).isEqualTo(TYPE + kind);
    assertThat(e.get("detail").asText()).isNotEmpty();
  }
}
