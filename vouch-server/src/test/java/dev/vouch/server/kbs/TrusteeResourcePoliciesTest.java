package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Trustee's resource policies in CEL decide as the Rego does on Trustee's inputs (test resources
 * {@code trustee-kbs/}, provenance in MANIFEST.md): the twelve cases of Trustee's policy-engine
 * test, and the shipped translations of kbs/sample_policies on real token claims. Deliberate
 * differences: affirming.yaml refuses a submod without {@code ear.status} (the Rego releases), and
 * Vouch's own default is affirming.yaml, not Trustee's default.rego.
 */
class TrusteeResourcePoliciesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String name) throws IOException {
    return JSON.readTree(text(name));
  }

  private static String text(String name) throws IOException {
    try (InputStream in =
        TrusteeResourcePoliciesTest.class.getResourceAsStream("/trustee-kbs/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(JsonNode n) {
    return JSON.convertValue(n, LinkedHashMap.class);
  }

  /** The input of Trustee's test_kbs_policy_evaluate, with its productId and svn. */
  private static Map<String, Object> regoTestInput(String productId, long svn) throws IOException {
    return map(
        JSON.readTree(
            "{\"submods\":{\"cpu0\":{\"ear.trustworthiness-vector\":{\"executables\":2,"
                + "\"hardware\":3},\"ear.veraison.annotated-evidence\":{\"sample\":{"
                + "\"productId\":"
                + JSON.writeValueAsString(productId)
                + ",\"svn\":"
                + svn
                + "}}}}}"));
  }

  private static Map<String, Object> exampleTokenClaims() throws IOException {
    return map(json("example.token.json"));
  }

  private static boolean decide(
      ResourcePolicy p, Map<String, Object> claims, String plugin, List<String> path) {
    return p.decideTrusteeRequest(claims, plugin, path, Map.of()).allowed();
  }

  static Stream<Arguments> regoRsCases() throws IOException {
    List<Arguments> out = new ArrayList<>();
    int i = 0;
    for (JsonNode c : json("rego-rs-cases.json")) {
      out.add(Arguments.of(++i, c));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "rego.rs case {0}")
  @MethodSource("regoRsCases")
  void everyCaseOfTrusteesPolicyEngineTestDecidesAsTheRego(int n, JsonNode c) throws Exception {
    ResourcePolicy p = ResourcePolicy.compile(text(c.get("policy").asText() + ".yaml"));
    List<String> path = new ArrayList<>();
    c.at("/data/resource-path").forEach(e -> path.add(e.asText()));
    Map<String, Object> input = regoTestInput(c.get("productId").asText(), c.get("svn").asLong());
    assertThat(decide(p, input, c.at("/data/plugin").asText(), path))
        .as("case %d", n)
        .isEqualTo(c.get("allow").asBoolean());
  }

  @Test
  void policy5ReleasesWhenTheSvnMeetsTheResourcesMinimum() throws Exception {
    // not among Trustee's cases (all of which refuse); read off policy_5.rego's resources map
    ResourcePolicy p = ResourcePolicy.compile(text("policy_5.yaml"));
    List<String> secret1 = List.of("myrepo", "secret", "secret1");
    List<String> secret2 = List.of("myrepo", "secret", "secret2");
    assertThat(decide(p, regoTestInput("n", 2), "resource", secret1)).isTrue();
    assertThat(decide(p, regoTestInput("n", 3), "resource", secret2)).isTrue();
    assertThat(decide(p, regoTestInput("n", 2), "resource", secret2)).isFalse();
  }

  @Test
  void theResourcePathOfARealRequestIsTrusteesResourcePath() throws Exception {
    ResourcePolicy p = ResourcePolicy.compile(text("policy_1.yaml"));
    assertThat(
            p.decide(regoTestInput("Alice", 1), ResourcePath.parse("my_repo/Alice/key")).allowed())
        .isTrue();
    assertThat(p.decide(regoTestInput("Bob", 1), ResourcePath.parse("my_repo/Alice/key")).allowed())
        .isFalse();
  }

  @Test
  void trusteesDefaultReleasesToAnyNonSampleTokenEvenAContraindicatedOne() throws Exception {
    ResourcePolicy p = ResourcePolicy.trustee("default");
    List<String> path = List.of("default", "test", "secret");
    // default.rego: plugin == "resource" and no sample evidence in cpu0
    assertThat(decide(p, exampleTokenClaims(), "resource", path)).isTrue();
    assertThat(decide(p, regoTestInput("Alice", 1), "resource", path)).isFalse();
    assertThat(decide(p, exampleTokenClaims(), "nebula-ca", List.of("credential"))).isFalse();
    assertThat(decide(p, Map.of(), "resource", path)).isTrue();
    // Vouch's default is affirming.rego's rule: the contraindicated token gets nothing
    assertThat(
            ResourcePolicy.defaultPolicy()
                .decide(exampleTokenClaims(), ResourcePath.parse("default/test/secret"))
                .allowed())
        .isFalse();
  }

  @Test
  void allowAllAndDenyAllDecideAsTheirNamesSayForTheResourcePlugin() throws Exception {
    List<String> path = List.of("default", "test", "secret");
    for (Map<String, Object> claims :
        List.of(exampleTokenClaims(), regoTestInput("Alice", 1), Map.<String, Object>of())) {
      assertThat(decide(ResourcePolicy.trustee("allow_all"), claims, "resource", path)).isTrue();
      assertThat(decide(ResourcePolicy.trustee("deny_all"), claims, "resource", path)).isFalse();
    }
    assertThat(decide(ResourcePolicy.trustee("allow_all"), Map.of(), "other", path)).isFalse();
  }

  @Test
  @SuppressWarnings("unchecked")
  void affirmingReleasesOnlyWhenEverySubmodIsAffirming() throws Exception {
    ResourcePolicy p = ResourcePolicy.trustee("affirming");
    List<String> path = List.of("default", "test", "secret");
    Map<String, Object> token = exampleTokenClaims();
    assertThat(decide(p, token, "resource", path)).isFalse();
    ((Map<String, Object>) ((Map<String, Object>) token.get("submods")).get("cpu0"))
        .put("ear.status", "affirming");
    assertThat(decide(p, token, "resource", path)).isTrue();
    ((Map<String, Object>) token.get("submods")).put("gpu0", Map.of("ear.status", "warning"));
    assertThat(decide(p, token, "resource", path)).isFalse();
    // count(input.submods) > 0
    assertThat(decide(p, Map.of("submods", Map.of()), "resource", path)).isFalse();
    assertThat(decide(p, Map.of(), "resource", path)).isFalse();
  }

  @Test
  void deliberateDifferenceASubmodWithoutEarStatusIsRefusedWhereTheRegoReleases() throws Exception {
    // affirming.rego: submod["ear.status"] != "affirming" is undefined for such a submod, so
    // any_not_affirming is not true and the Rego allows; Vouch fails closed
    assertThat(
            decide(
                ResourcePolicy.trustee("affirming"),
                regoTestInput("Alice", 1),
                "resource",
                List.of("a", "b", "c")))
        .isFalse();
  }

  @Test
  void onlyTheShippedTrusteePoliciesCanBeLoadedAndEachCompiles() {
    for (String name : ResourcePolicy.TRUSTEE_POLICIES) {
      assertThat(ResourcePolicy.trustee(name).source()).contains("trustee");
    }
    assertThatThrownBy(() -> ResourcePolicy.trustee("../default-resource-policy"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
