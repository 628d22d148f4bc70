package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.measure.ContainerNode;
import dev.vouch.agent.measure.UnixHttp;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.cima.ContainerEvidenceVerifier;
import dev.vouch.evidence.tpm.ima.ImaEntry;
import dev.vouch.evidence.tpm.ima.ImaLog;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code vouch agent --measure-socket}: the agent serves container evidence on its unix socket with
 * its enrolled AK, which verifies offline; a measurement policy with an unknown key is a usage
 * error naming the line and key.
 */
class AgentMeasureCommandTest {
  @TempDir Path dir;

  @Test
  void theAgentServesContainerEvidenceOnItsSocket() throws Exception {
    try (Swtpm swtpm = Swtpm.start()) {
      byte[] list = ContainerNode.writeList();
      try (TpmClient tpm = swtpm.client()) {
        for (ImaEntry e : ImaLog.parse(list).entries()) {
          tpm.pcrExtend(e.pcr(), Map.of(HashAlg.SHA256, e.templateHash()));
        }
      }
      Path ima = Files.write(dir.resolve("ima"), list);
      Path policy = Files.writeString(dir.resolve("measure.yaml"), ContainerNode.POLICY);
      Path socket = dir.resolve("run/measure.sock");
      AgentCommand agent = new AgentCommand();
      CommandLine cl = new CommandLine(agent);
      StringWriter out = new StringWriter();
      cl.setOut(new PrintWriter(out, true));
      AtomicInteger exit = new AtomicInteger(-1);
      Thread t =
          Thread.ofVirtual()
              .start(
                  () ->
                      exit.set(
                          cl.execute(
                              "--host-id", "node-7",
                              "--tpm", "swtpm:127.0.0.1:" + swtpm.port(),
                              "--ima-log", ima.toString(),
                              "--measure-socket", socket.toString(),
                              "--measure-policy", policy.toString())));
      for (int i = 0; i < 200 && !out.toString().contains("container measurements on"); i++) {
        Thread.sleep(100);
      }
      assertThat(out.toString()).contains("container measurements on " + socket + " (isolated)");

      String nonce = "42".repeat(32);
      // this JVM is a node process, so it names the container
      String reply = get(socket, "/v1/evidence?container=" + ContainerNode.C3 + "&nonce=" + nonce);
      assertThat(reply).startsWith("HTTP/1.1 200");
      byte[] body = reply.substring(reply.indexOf("\r\n\r\n") + 4).getBytes(StandardCharsets.UTF_8);
      VerifiedEvidence v =
          new ContainerEvidenceVerifier().verify(body, Expectations.withNonce(Hex.decode(nonce)));
      assertThat(v.claims().get("container.id")).isEqualTo(ContainerNode.C3);
      assertThat(v.claims().get("container.pod")).isEqualTo(ContainerNode.POD_B);

      agent.stop.countDown();
      t.join(Duration.ofSeconds(10));
      assertThat(exit.get()).isZero();
      assertThat(socket).doesNotExist();
    }
  }

  @Test
  void aBadMeasurementPolicyIsAUsageError() throws Exception {
    Path policy = Files.writeString(dir.resolve("bad.yaml"), ContainerNode.POLICY + "  extra: 1\n");
    StringWriter err = new StringWriter();
    PrintWriter o = new PrintWriter(new StringWriter(), true);
    assertThat(
            Main.run(
                o,
                new PrintWriter(err, true),
                "agent",
                "--host-id",
                "a",
                "--measure-socket",
                dir.resolve("m.sock").toString(),
                "--measure-policy",
                policy.toString()))
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err.toString()).contains("line 9").contains("extra");
    assertThat(
            Main.run(
                o,
                new PrintWriter(err, true),
                "agent",
                "--host-id",
                "a",
                "--nats",
                "nats://127.0.0.1:1",
                "--measure-policy",
                policy.toString()))
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err.toString()).contains("--measure-policy needs --measure-socket");
  }

  private static String get(Path socket, String target) throws Exception {
    return UnixHttp.send(socket, "GET " + target + " HTTP/1.1\r\n\r\n");
  }
}
