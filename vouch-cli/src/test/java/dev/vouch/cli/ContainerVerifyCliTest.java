package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.agent.measure.ContainerNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vouch verify --tee container} offline: the measurement agent's evidence verifies with its
 * nonce (exit 0, container claims), fails with another nonce or a foreign subject (exit 1, the
 * failure code), and a file that is not container evidence fails as malformed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ContainerVerifyCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NONCE = "c0ffee".repeat(4);

  Path dir;
  ContainerNode node;
  Path evidence;

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    dir = tmp;
    node = ContainerNode.start(dir);
    evidence = dir.resolve("evidence.json");
    Files.write(evidence, node.evidence(ContainerNode.C2, NONCE));
  }

  @AfterAll
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void theAgentsEvidenceVerifiesWithItsNonce() {
    CliRun r =
        CliRun.of(
            "verify",
            "--tee",
            "container",
            "--evidence",
            evidence.toString(),
            "--nonce",
            NONCE,
            "--json");
    assertThat(r.exit()).as(r.err()).isEqualTo(0);
    assertThat(r.json().path("valid").asBoolean()).isTrue();
    assertThat(r.json().path("tee").asText()).isEqualTo("container");
    assertThat(r.json().at("/claims/container.id").asText()).isEqualTo(ContainerNode.C2);
    assertThat(r.json().at("/claims/container.pod").asText()).isEqualTo(ContainerNode.POD_A);
    assertThat(r.json().at("/claims/container.events").asInt()).isEqualTo(1);
  }

  @Test
  void anotherNonceOrAnotherSubjectFailsWithItsCode() throws Exception {
    CliRun r =
        CliRun.of(
            "verify",
            "--tee",
            "container",
            "--evidence",
            evidence.toString(),
            "--nonce",
            "00" + NONCE.substring(2),
            "--json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().at("/errors/0/code").asText()).isEqualTo("NONCE_MISMATCH");

    ObjectNode ev = (ObjectNode) JSON.readTree(evidence.toFile());
    ((ObjectNode) ev.path("eventlog").path("subject"))
        .put("pod", ContainerNode.POD_B)
        .put("container", ContainerNode.C3);
    Path moved = dir.resolve("moved.json");
    JSON.writeValue(moved.toFile(), ev);
    r = CliRun.of("verify", "--tee", "container", "--evidence", moved.toString(), "--json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().at("/errors/0/code").asText()).isEqualTo("CONTAINER_MISMATCH");

    Path junk = dir.resolve("junk.json");
    Files.writeString(junk, "{\"version\":1}");
    r = CliRun.of("verify", "--tee", "container", "--evidence", junk.toString(), "--json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().at("/errors/0/code").asText()).isEqualTo("MALFORMED");
  }

  private Path policy(String name, String excludes) throws Exception {
    return Files.writeString(
        dir.resolve(name),
        "{\"meta\":{\"version\":1},\"release\":0,\"digests\":{},\"excludes\":["
            + excludes
            + "],\"keyrings\":{},\"ima\":{\"ignored_keyrings\":[],\"log_hash_alg\":\"sha1\"},"
            + "\"ima-buf\":{},\"verification-keys\":\"\"}");
  }

  @Test
  void aRuntimePolicyAppraisesTheContainersOwnEntriesOffline() throws Exception {
    CliRun unknown =
        CliRun.of(
            "verify",
            "--tee",
            "container",
            "--evidence",
            evidence.toString(),
            "--nonce",
            NONCE,
            "--runtime-policy",
            policy("empty.json", "").toString(),
            "--json");
    assertThat(unknown.exit()).as(unknown.err()).isEqualTo(1);
    assertThat(unknown.json().at("/errors/0/code").asText()).isEqualTo("POLICY_DENIED");

    CliRun excluded =
        CliRun.of(
            "verify",
            "--tee",
            "container",
            "--evidence",
            evidence.toString(),
            "--nonce",
            NONCE,
            "--runtime-policy",
            policy("all.json", "\".*\"").toString(),
            "--json");
    assertThat(excluded.exit()).as(excluded.out() + excluded.err()).isEqualTo(0);

    CliRun notContainer =
        CliRun.of(
            "verify",
            "--tee",
            "snp",
            "--evidence",
            evidence.toString(),
            "--runtime-policy",
            policy("x.json", "").toString());
    assertThat(notContainer.exit()).isEqualTo(2);
  }
}
