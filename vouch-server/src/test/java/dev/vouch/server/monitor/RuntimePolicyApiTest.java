package dev.vouch.server.monitor;

import static dev.vouch.server.monitor.MonitorApiTest.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.server.TestServers;
import dev.vouch.server.http.VouchServer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime-policy routes: admin-guarded, documented, bad input refused as problem+json. */
class RuntimePolicyApiTest {
  private static final String POLICY =
      """
      {"meta": {"version": 1}, "digests": {"/usr/bin/bash": ["%s"]}, "excludes": [],
       "keyrings": {}, "ima": {"ignored_keyrings": [], "log_hash_alg": "sha1"},
       "ima-buf": {}, "verification-keys": ""}
      """
          .formatted("cd".repeat(32));

  @TempDir Path dir;
  private VouchServer server;
  private TestServers.Client http;

  @BeforeEach
  void start() throws Exception {
    server = VouchServer.start(TestServers.plain(dir));
    http = new TestServers.Client(server.baseUri());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void policiesNeedTheAdminTokenAndRefuseBadInputChangingNothing() {
    assertProblem(http.put("/api/v1/runtime-policies/web", POLICY, false), 401, "unauthorized");
    assertProblem(http.get("/api/v1/runtime-policies", false), 401, "unauthorized");
    assertProblem(
        http.put("/api/v1/runtime-policies/web", "{\"digests\": 5}", true),
        400,
        "invalid-runtime-policy");
    assertProblem(
        http.put("/api/v1/runtime-policies/web", "not json", true), 400, "invalid-runtime-policy");
    assertProblem(http.put("/api/v1/runtime-policies/-x", POLICY, true), 400, "bad-request");
    assertProblem(http.get("/api/v1/runtime-policies/web", true), 404, "not-found");

    TestServers.Reply stored = http.put("/api/v1/runtime-policies/web", POLICY, true);
    assertThat(stored.status()).as(stored.body()).isEqualTo(201);
    TestServers.Reply shown = http.get("/api/v1/runtime-policies/web", true);
    assertThat(shown.json().path("version").asInt()).isEqualTo(1);
    assertThat(shown.json().path("policy").path("digests").path("/usr/bin/bash").get(0).asText())
        .isEqualTo("cd".repeat(32));
    assertThat(http.get("/api/v1/runtime-policies", true).json().path("policies")).hasSize(1);
  }

  @Test
  void assignmentNeedsAKnownHostAndAKnownPolicy() {
    assertThat(http.post("/api/v1/hosts", "{\"id\":\"h1\",\"connection\":\"nats\"}", true).status())
        .isEqualTo(201);
    assertProblem(
        http.put("/api/v1/hosts/h1/runtime-policy", "{\"policy\":\"web\"}", false),
        401,
        "unauthorized");
    assertProblem(
        http.put("/api/v1/hosts/h1/runtime-policy", "{\"policy\":\"web\"}", true),
        404,
        "not-found");
    assertThat(http.put("/api/v1/runtime-policies/web", POLICY, true).status()).isEqualTo(201);
    assertProblem(
        http.put("/api/v1/hosts/nohost/runtime-policy", "{\"policy\":\"web\"}", true),
        404,
        "not-found");
    assertProblem(
        http.put("/api/v1/hosts/h1/runtime-policy", "{\"policy\":\"web\",\"x\":1}", true),
        400,
        "bad-request");
    assertProblem(
        http.put("/api/v1/hosts/h1/runtime-policy", "{\"policy\":\"../web\"}", true),
        400,
        "bad-request");
    TestServers.Reply ok =
        http.put("/api/v1/hosts/h1/runtime-policy", "{\"policy\":\"web\"}", true);
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    assertThat(ok.json().path("version").asInt()).isEqualTo(1);
    // no attestation yet: no IMA state
    assertProblem(http.get("/api/v1/hosts/h1/ima", true), 404, "not-found");
    assertThat(http.delete("/api/v1/hosts/h1/runtime-policy", true).status()).isEqualTo(204);
    assertProblem(http.delete("/api/v1/hosts/h1/runtime-policy", true), 404, "not-found");
  }

  @Test
  void aHostGroupIsAssignedAPolicyThatItsHostsFollowUnlessTheyHaveTheirOwn() {
    assertProblem(
        http.put("/api/v1/host-groups/edge/runtime-policy", "{\"policy\":\"web\"}", true),
        404,
        "not-found");
    assertThat(http.put("/api/v1/runtime-policies/web", POLICY, true).status()).isEqualTo(201);
    assertProblem(
        http.put("/api/v1/host-groups/edge/runtime-policy", "{\"policy\":\"web\"}", false),
        401,
        "unauthorized");
    assertProblem(
        http.put("/api/v1/host-groups/ed%20ge/runtime-policy", "{\"policy\":\"web\"}", true),
        400,
        "bad-request");
    assertProblem(
        http.put("/api/v1/host-groups/edge/runtime-policy", "{\"policy\":\"web\",\"x\":1}", true),
        400,
        "bad-request");
    TestServers.Reply ok =
        http.put("/api/v1/host-groups/edge/runtime-policy", "{\"policy\":\"web\"}", true);
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    assertThat(ok.json().path("group").asText()).isEqualTo("edge");
    assertThat(ok.json().path("version").asInt()).isEqualTo(1);
    assertThat(
            http.get("/api/v1/host-groups/edge/runtime-policy", true).json().path("name").asText())
        .isEqualTo("web");
    RuntimePolicyStore store = server.monitor().runtimePolicies();
    assertThat(store.effective("h9", "edge").orElseThrow().ref()).isEqualTo("web@1");
    assertThat(store.effective("h9", "other")).isEmpty();
    assertThat(http.put("/api/v1/runtime-policies/own", POLICY, true).status()).isEqualTo(201);
    assertThat(http.post("/api/v1/hosts", "{\"id\":\"h9\",\"connection\":\"nats\"}", true).status())
        .isEqualTo(201);
    assertThat(http.put("/api/v1/hosts/h9/runtime-policy", "{\"policy\":\"own\"}", true).status())
        .isEqualTo(200);
    assertThat(store.effective("h9", "edge").orElseThrow().ref()).isEqualTo("own@1");
    assertThat(http.delete("/api/v1/host-groups/edge/runtime-policy", true).status())
        .isEqualTo(204);
    assertProblem(http.delete("/api/v1/host-groups/edge/runtime-policy", true), 404, "not-found");
    assertProblem(http.get("/api/v1/host-groups/edge/runtime-policy", true), 404, "not-found");
    assertThat(store.effective("h9", "edge").orElseThrow().ref()).isEqualTo("own@1");
  }

  @Test
  void theOpenApiDocumentListsTheRoutes() {
    String doc = http.get("/api/v1/openapi.json", false).body();
    assertThat(doc)
        .contains(
            "/api/v1/runtime-policies",
            "/api/v1/runtime-policies/{name}",
            "/api/v1/hosts/{id}/runtime-policy",
            "/api/v1/host-groups/{group}/runtime-policy",
            "/api/v1/hosts/{id}/ima");
  }
}
