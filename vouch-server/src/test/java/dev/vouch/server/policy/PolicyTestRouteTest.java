package dev.vouch.server.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.server.TestServers;
import dev.vouch.server.TestServers.Client;
import dev.vouch.server.TestServers.Reply;
import dev.vouch.server.http.VouchServer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /api/v1/policies/test} on a real server over HTTP: each rule's outcome and
 * explanation for the claims given, the trust claim form over Trustee's input, and every bad input
 * refused as problem+json with a stable type, nothing stored either way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PolicyTestRouteTest {
  private static final String RULES =
      """
      rules:
        - name: pcr7_known
          category: configuration
          expr: claims["tpm.pcr.sha256.7"] in reference["tpm.pcr.sha256.7"]
        - name: secure_boot_on
          category: configuration
          expr: claims["tpm.secure_boot"] == true
      """;

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

  private Reply test(Map<String, Object> body) throws Exception {
    return client.post("/api/v1/policies/test", TestServers.JSON.writeValueAsString(body), true);
  }

  private static JsonNode rule(JsonNode doc, String name) {
    for (JsonNode r : doc.get("rules")) {
      if (r.get("rule").asText().equals(name)) {
        return r;
      }
    }
    throw new AssertionError("no rule " + name + " in " + doc);
  }

  @Test
  void explainsEachRuleOverTheClaimsAndReferenceValuesGiven() throws Exception {
    Reply r =
        test(
            Map.of(
                "policy",
                RULES,
                "id",
                "pcr-check",
                "claims",
                Map.of("tpm.pcr.sha256.7", "aa", "tpm.secure_boot", false),
                "reference",
                Map.of("tpm.pcr.sha256.7", java.util.List.of("aa", "bb"))));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode doc = r.json();
    assertThat(doc.get("policy").asText()).isEqualTo("pcr-check");
    assertThat(doc.get("form").asText()).isEqualTo("rules");
    assertThat(doc.get("status").asText()).isEqualTo("contraindicated");
    JsonNode pcr = rule(doc, "pcr7_known");
    assertThat(pcr.get("outcome").asText()).isEqualTo("passed");
    assertThat(pcr.get("explanation").asText()).contains("tpm.pcr.sha256.7");
    assertThat(pcr.at("/findings/0/reference").asText()).isEqualTo("tpm.pcr.sha256.7");
    JsonNode sb = rule(doc, "secure_boot_on");
    assertThat(sb.get("outcome").asText()).isEqualTo("failed");
    assertThat(sb.get("explanation").asText()).contains("tpm.secure_boot").contains("false");
    assertThat(sb.at("/findings/0/actual").asBoolean(true)).isFalse();
  }

  @Test
  void aClaimMissingFromTheReferenceValuesFailsItsRule() throws Exception {
    Reply r =
        test(
            Map.of(
                "policy",
                RULES,
                "claims",
                Map.of("tpm.pcr.sha256.7", "cc", "tpm.secure_boot", true)));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("policy").asText()).isEqualTo("dry-run");
    JsonNode pcr = rule(r.json(), "pcr7_known");
    assertThat(pcr.get("outcome").asText()).isEqualTo("failed");
    assertThat(pcr.get("explanation").asText())
        .isEqualTo("reference value tpm.pcr.sha256.7 is absent");
    assertThat(rule(r.json(), "secure_boot_on").get("outcome").asText()).isEqualTo("passed");
  }

  @Test
  void aVerifyDocumentIsReadForItsClaims() throws Exception {
    Reply r =
        test(
            Map.of(
                "policy",
                RULES,
                "claims",
                Map.of(
                    "valid",
                    true,
                    "tee",
                    "tpm",
                    "claims",
                    Map.of("tpm.pcr.sha256.7", "aa", "tpm.secure_boot", true)),
                "reference",
                Map.of("tpm.pcr.sha256.7", java.util.List.of("aa"))));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("status").asText()).isEqualTo("affirming");
  }

  @Test
  void aTrustClaimDocumentRunsOverTrusteesInputNamingTheDecidingCases() throws Exception {
    Reply r =
        test(
            Map.of(
                "policy",
                dev.vouch.policy.trustee.TrusteePolicies.earDefaultCpuSource(),
                "claims",
                Map.of(
                    "sample",
                    Map.of(
                        "svn",
                        "1",
                        "launch_digest",
                        "abcde",
                        "platform_version",
                        Map.of("major", 1, "minor", 4),
                        "debug",
                        false)),
                "reference",
                Map.of(
                    "svn",
                    java.util.List.of("1"),
                    "launch_digest",
                    java.util.List.of("abcde"),
                    "major_version",
                    1,
                    "minimum_minor_version",
                    1)));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode doc = r.json();
    assertThat(doc.get("form").asText()).isEqualTo("trust_claims");
    assertThat(doc.get("status").asText()).isEqualTo("affirming");
    assertThat(doc.at("/cases/hardware").asText()).isEqualTo("sample_hardware");
    assertThat(doc.at("/trust_vector/executables").asInt()).isEqualTo(3);
  }

  @Test
  void aPolicyThatDoesNotCompileIsRefusedNamingTheRule() throws Exception {
    Reply r =
        test(
            Map.of(
                "policy",
                "rules:\n  - name: broken\n    category: configuration\n    expr: claims[\n",
                "claims",
                Map.of()));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.json().get("type").asText())
        .isEqualTo("https://vouch.dev/problems/policy-invalid");
    assertThat(r.json().get("rule").asText()).isEqualTo("broken");
  }

  @Test
  void claimsThatAreNotAnObjectAreRefused() throws Exception {
    Reply r = test(Map.of("policy", RULES, "claims", java.util.List.of("tpm.secure_boot")));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.json().get("type").asText()).isEqualTo("https://vouch.dev/problems/bad-request");
    assertThat(r.json().get("detail").asText()).contains("claims");
    assertThat(test(Map.of("policy", RULES)).status()).isEqualTo(400);
  }

  @Test
  void referenceValuesThatAreExpiredOrNotAnObjectAreRefused() throws Exception {
    Reply expired =
        test(
            Map.of(
                "policy", RULES,
                "claims", Map.of(),
                "reference",
                    Map.of(
                        "version", "0.1.0",
                        "type", "sample",
                        "expires", "2000-01-01T00:00:00Z",
                        "payload", Map.of("tpm.pcr.sha256.7", java.util.List.of("aa")))));
    assertThat(expired.status()).as(expired.body()).isEqualTo(400);
    assertThat(expired.json().get("type").asText())
        .isEqualTo("https://vouch.dev/problems/bad-request");
    assertThat(expired.json().get("detail").asText())
        .startsWith("reference values")
        .contains("COLLATERAL_EXPIRED");
    Reply list =
        test(Map.of("policy", RULES, "claims", Map.of(), "reference", java.util.List.of("aa")));
    assertThat(list.status()).isEqualTo(400);
    assertThat(list.json().get("detail").asText()).startsWith("reference values");
  }

  @Test
  void malformedBodiesUnknownMembersAndBadIdsAreRefused() throws Exception {
    Reply truncated = client.post("/api/v1/policies/test", "{\"policy\": \"rules:", true);
    assertThat(truncated.status()).isEqualTo(400);
    assertThat(truncated.json().get("type").asText())
        .isEqualTo("https://vouch.dev/problems/malformed-json");
    Reply unknown = test(Map.of("policy", RULES, "claims", Map.of(), "store", true));
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.json().get("detail").asText()).contains("store");
    Reply badId = test(Map.of("policy", RULES, "claims", Map.of(), "id", "../etc"));
    assertThat(badId.status()).isEqualTo(400);
    Reply notText = test(Map.of("policy", 42, "claims", Map.of()));
    assertThat(notText.status()).isEqualTo(400);
  }

  @Test
  void needsACredentialAndStoresNothing() throws Exception {
    Reply anonymous =
        client.post(
            "/api/v1/policies/test",
            TestServers.JSON.writeValueAsString(Map.of("policy", RULES, "claims", Map.of())),
            false);
    assertThat(anonymous.status()).isEqualTo(401);
    assertThat(test(Map.of("policy", RULES, "id", "never-stored", "claims", Map.of())).status())
        .isEqualTo(200);
    assertThat(client.get("/api/v1/policies/never-stored", true).status()).isEqualTo(404);
    assertThat(client.get("/api/v1/policies", true).json().get("policies").toString())
        .doesNotContain("never-stored");
  }
}
