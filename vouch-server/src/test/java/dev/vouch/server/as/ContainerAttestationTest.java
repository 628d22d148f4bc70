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
 * with its failure code and no token.
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
