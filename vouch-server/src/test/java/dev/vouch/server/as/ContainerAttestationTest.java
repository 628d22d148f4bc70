package dev.vouch.server.as;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.agent.measure.ContainerNode;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.server.TestServers;
import dev.vouch.server.TestServers.Client;
import dev.vouch.server.TestServers.Reply;
import dev.vouch.server.http.VouchServer;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AS accepts container evidence ({@code "tee":"container"}): a container's register bound into
 * a swtpm quote of PCR 10 with the request's nonce is appraised by the default container policy
 * against reference values; evidence bound to another nonce, or with an event removed, is refused
 * with its failure code and no token. A request naming a stored runtime policy ({@code
 * runtime_policy}) has the container's own IMA entries appraised against it: an unknown file or a
 * changed digest is refused, naming the entry, path and rule.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ContainerAttestationTest {
  VouchServer server;
  Client client;
  ContainerNode node;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    node = ContainerNode.start(dir);
    server = VouchServer.start(TestServers.plain(dir.resolve("server")));
    client = new Client(server.baseUri());
  }

  @AfterAll
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (node != null) {
      node.close();
    }
  }

  private Reply attest(byte[] evidence, String nonceHex) {
    return client.post(
        "/api/v1/attest",
        "{\"tee\":\"container\",\"evidence\":\""
            + Base64.getEncoder().encodeToString(evidence)
            + "\",\"nonce\":\""
            + nonceHex
            + "\"}",
        false);
  }

  private void reference(String register) throws Exception {
    String ak =
        Hex.encode(
            HashAlg.SHA256.digest(
                dev.vouch.evidence.tpm.AkKeys.parse(node.ak.publicArea())
                    .publicKey()
                    .getEncoded()));
    String msg =
        TestServers.JSON.writeValueAsString(
            Map.of(
                "version",
                "0.1.0",
                "type",
                "sample",
                "payload",
                Map.of("tpm.trusted_aks", List.of(ak), "container.register", List.of(register))));
    Reply r = client.post("/api/v1/reference-values", msg, true);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
  }

  @Test
  void aContainersBoundEvidenceGetsAnAffirmingToken() throws Exception {
    String nonce = "3c".repeat(32);
    byte[] evidence = node.evidence(ContainerNode.C1, nonce);
    String register =
        TestServers.JSON
            .readTree(
                node.service
                    .handle(
                        new dev.vouch.agent.measure.MeasurementService.Request(
                            "/v1/measurement", Map.of("container", ContainerNode.C1), ""),
                        new dev.vouch.agent.measure.MeasurementService.Caller.Node())
                    .body())
            .path("value")
            .asText();
    reference(register);
    Reply r = attest(evidence, nonce);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("status").asText()).as(r.body()).isEqualTo("affirming");
    assertThat(r.json().at("/claims/container.id").asText()).isEqualTo(ContainerNode.C1);
    assertThat(r.json().at("/claims/container.register").asText()).isEqualTo(register);
  }

  private Reply attestUnder(String policy, byte[] evidence, String nonceHex) {
    return client.post(
        "/api/v1/attest",
        "{\"tee\":\"container\",\"evidence\":\""
            + Base64.getEncoder().encodeToString(evidence)
            + "\",\"nonce\":\""
            + nonceHex
            + "\",\"runtime_policy\":\""
            + policy
            + "\"}",
        false);
  }

  /** Stores a Keylime runtime policy allowing {@code digests} (path to its SHA-256 hex). */
  private void storeRuntimePolicy(String name, Map<String, String> digests) throws Exception {
    Map<String, Object> doc = new java.util.LinkedHashMap<>();
    doc.put("meta", Map.of("version", 1));
    Map<String, List<String>> d = new java.util.TreeMap<>();
    digests.forEach((path, hex) -> d.put(path, List.of(hex)));
    doc.put("digests", d);
    doc.put("excludes", List.of());
    doc.put("keyrings", Map.of());
    doc.put("ima", Map.of("ignored_keyrings", List.of(), "log_hash_alg", "sha1"));
    doc.put("ima-buf", Map.of());
    doc.put("verification-keys", "");
    Reply r =
        client.put(
            "/api/v1/runtime-policies/" + name, TestServers.JSON.writeValueAsString(doc), true);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }

  /** A policy for C1's files: /bin/sh as measured, /app with the digest of {@code app}. */
  private void storeC1Policy(String name, String app) throws Exception {
    storeRuntimePolicy(
        name,
        Map.of(
            "/bin/sh", Hex.encode(ContainerNode.file("sh")),
            "/app", Hex.encode(ContainerNode.file(app))));
  }

  @Test
  void aRuntimePolicyAllowingTheContainersFilesAppraisesItsEvidence() throws Exception {
    storeC1Policy("c1-allowed", "app");
    String nonce = "41".repeat(32);
    Reply r = attestUnder("c1-allowed", node.evidence(ContainerNode.C1, nonce), nonce);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().at("/claims/container.appraised").asBoolean()).isTrue();
    // without the field the same evidence is not appraised at all
    Reply plain = attest(node.evidence(ContainerNode.C1, nonce), nonce);
    assertThat(plain.json().at("/claims/container.appraised").asBoolean()).isFalse();
  }

  @Test
  void anUnknownFileInTheContainerIsRefusedNamingEntryPathAndRule() throws Exception {
    // C1 measured /bin/sh and /app; the policy knows only /bin/sh
    storeRuntimePolicy("c1-sh-only", Map.of("/bin/sh", Hex.encode(ContainerNode.file("sh"))));
    String nonce = "42".repeat(32);
    Reply r = attestUnder("c1-sh-only", node.evidence(ContainerNode.C1, nonce), nonce);
    assertThat(r.status()).as(r.body()).isEqualTo(422);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.json().get("failure").asText()).isEqualTo("POLICY_DENIED");
    assertThat(r.json().get("detail").asText())
        .contains("entry 2 /app")
        .contains("sha256:" + Hex.encode(ContainerNode.file("app")))
        .contains("UNKNOWN_FILE");
    assertThat(r.json().has("token")).isFalse();
  }

  @Test
  void aChangedDigestIsRefusedAsADigestMismatch() throws Exception {
    storeC1Policy("c1-old-app", "app-1.0");
    String nonce = "43".repeat(32);
    Reply r = attestUnder("c1-old-app", node.evidence(ContainerNode.C1, nonce), nonce);
    assertThat(r.status()).as(r.body()).isEqualTo(422);
    assertThat(r.json().get("failure").asText()).isEqualTo("POLICY_DENIED");
    assertThat(r.json().get("detail").asText()).contains("/app").contains("DIGEST_MISMATCH");
  }

  @Test
  void anUnstoredPolicyOrAPolicyForOtherEvidenceIsRefused() {
    String nonce = "44".repeat(32);
    Reply unknown = attestUnder("no-such-policy", node.evidence(ContainerNode.C1, nonce), nonce);
    assertThat(unknown.status()).as(unknown.body()).isEqualTo(422);
    assertThat(unknown.json().get("failure").asText()).isEqualTo("POLICY_DENIED");
    assertThat(unknown.json().get("detail").asText()).contains("no-such-policy");
    Reply badName = attestUnder("../x", node.evidence(ContainerNode.C1, nonce), nonce);
    assertThat(badName.status()).isEqualTo(400);
    assertThat(badName.contentType()).startsWith("application/problem+json");
    Reply tpm =
        client.post(
            "/api/v1/attest",
            "{\"tee\":\"tpm\",\"evidence\":\"AA==\",\"freshness\":\"none\","
                + "\"runtime_policy\":\"c1-sh-only\"}",
            false);
    assertThat(tpm.status()).as(tpm.body()).isEqualTo(400);
    assertThat(tpm.json().get("detail").asText()).contains("container evidence");
  }

  @Test
  void evidenceBoundToAnotherNonceIsRefusedWithoutAToken() {
    Reply r = attest(node.evidence(ContainerNode.C1, "3d".repeat(32)), "3e".repeat(32));
    assertThat(r.status()).as(r.body()).isEqualTo(422);
    assertThat(r.contentType()).startsWith("application/problem+json");
    // the AS reports a nonce its request bound and the evidence did not as a runtime-data binding
    assertThat(r.json().get("failure").asText()).isEqualTo("REPORT_DATA_MISMATCH");
    assertThat(r.json().has("token")).isFalse();
  }

  @Test
  void evidenceWithAnEventRemovedIsRefused() throws Exception {
    String nonce = "3f".repeat(32);
    JsonNode ev = TestServers.JSON.readTree(node.evidence(ContainerNode.C3, nonce));
    var events = (com.fasterxml.jackson.databind.node.ArrayNode) ev.path("eventlog").path("events");
    events.remove(events.size() - 1);
    Reply r = attest(TestServers.JSON.writeValueAsBytes(ev), nonce);
    assertThat(r.status()).as(r.body()).isEqualTo(422);
    assertThat(r.json().get("failure").asText()).isEqualTo("EVENT_LOG_MISMATCH");
  }
}
