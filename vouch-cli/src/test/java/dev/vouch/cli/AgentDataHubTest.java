package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.cdh.DataHubTest;
import dev.vouch.cli.kbs.MeasuredTpm;
import dev.vouch.cli.kbs.SealedFixture;
import dev.vouch.cli.kbs.TestKbs;
import dev.vouch.core.Tee;
import dev.vouch.server.as.AttestationBackend;
import dev.vouch.server.kbs.AdminAuth;
import dev.vouch.server.kbs.InMemoryResourceStore;
import dev.vouch.server.kbs.InMemorySessionStore;
import dev.vouch.server.kbs.RealAttestation;
import dev.vouch.server.kbs.ResourcePath;
import dev.vouch.server.kbs.ResourcePolicy;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vouch agent --kbs}: the agent itself is the guest's data hub. It attests to a real KBS
 * with swtpm quotes by its own AK over its event logs; the loopback port and the unix socket answer
 * the same resource, a sealed secret made by {@code vouch secret seal} unseals, and all of it rides
 * one KBS session. A KBS that does not trust the agent's AK releases nothing, sealed or not.
 */
class AgentDataHubTest {
  static final String SECRET = "db-password: 4c1d";
  static final Pattern LISTENING = Pattern.compile("data hub on 127\\.0\\.0\\.1:(\\d+)");
  @TempDir static Path dir;
  static MeasuredTpm tpm;
  static SealedFixture sealed;

  @BeforeAll
  static void setUp() throws Exception {
    tpm = MeasuredTpm.start();
    sealed = SealedFixture.make(dir, SECRET);
  }

  @AfterAll
  static void stopTpm() {
    if (tpm != null) {
      tpm.close();
    }
  }

  /** A KBS with the test's resources; it trusts the agent's AK and PCRs when {@code trusting}. */
  record Kbs(Javalin app, RealAttestation backend, InMemorySessionStore sessions)
      implements AutoCloseable {
    static Kbs start(boolean trusting) {
      RealAttestation backend = new RealAttestation(Clock.systemUTC(), Duration.ofMinutes(5));
      if (trusting) {
        tpm.trustIn(backend);
      }
      InMemoryResourceStore resources = new InMemoryResourceStore();
      resources.put(new ResourcePath("default", "key", "app"), "released-to-the-agent".getBytes());
      resources.put(new ResourcePath("default", "key", "other"), "second".getBytes());
      sealed.addTo(resources);
      InMemorySessionStore sessions = new InMemorySessionStore();
      Javalin app =
          TestKbs.serve(
              Set.of(Tee.TPM),
              Optional.<AttestationBackend>of(backend),
              resources,
              AdminAuth.denyAll(),
              ResourcePolicy.defaultPolicy(),
              sessions);
      return new Kbs(app, backend, sessions);
    }

    @Override
    public void close() {
      app.stop();
      backend.close();
    }
  }

  /** {@code vouch agent} with the data hub for {@code kbs} on a free port and {@code socket}. */
  static Background agent(Kbs kbs, Path socket) {
    AgentCommand cmd = new AgentCommand();
    return Background.start(
        cmd,
        cmd.stop,
        "--host-id",
        "guest-1",
        "--tpm",
        tpm.tpmOption(),
        "--event-log",
        MeasuredTpm.LOG.toString(),
        "--ima-log",
        MeasuredTpm.IMA.toString(),
        "--kbs",
        "http://127.0.0.1:" + kbs.app().port(),
        "--data-hub-port",
        "0",
        "--data-hub-socket",
        socket.toString());
  }

  static HttpResponse<String> send(int port, String method, String path, String body)
      throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theAgentServesResourcesAndUnsealsOverOneAttestedKbsSession(@TempDir Path tmp)
      throws Exception {
    Path socket = tmp.resolve("cdh.sock");
    try (Kbs kbs = Kbs.start(true)) {
      Background agent = agent(kbs, socket);
      try (agent) {
        int port = Integer.parseInt(agent.await(LISTENING).group(1));
        assertThat(kbs.sessions().size()).as("no attestation before a workload asks").isZero();
        HttpResponse<String> tcp = send(port, "GET", "/cdh/resource/default/key/app", "");
        assertThat(tcp.statusCode()).as(tcp.body()).isEqualTo(200);
        assertThat(tcp.body()).isEqualTo("released-to-the-agent");
        assertThat(DataHubTest.overSocket(socket, "GET", "/cdh/resource/default/key/app", ""))
            .isEqualTo(List.of(200, "application/octet-stream", "released-to-the-agent"));
        assertThat(send(port, "GET", "/cdh/resource/default/key/other", "").body())
            .isEqualTo("second");
        HttpResponse<String> unsealed = send(port, "POST", "/cdh/unseal", sealed.sealed());
        assertThat(unsealed.statusCode()).as(unsealed.body()).isEqualTo(200);
        assertThat(unsealed.body()).isEqualTo(SECRET);
        assertThat(DataHubTest.overSocket(socket, "POST", "/cdh/unseal", sealed.sealed()).get(2))
            .isEqualTo(SECRET);
        assertThat(send(port, "GET", "/cdh/resource/default/key/none", "").statusCode())
            .isEqualTo(404);
        // every fetch above used the session of the first handshake
        assertThat(kbs.sessions().size()).isEqualTo(1);
      }
      assertThat(agent.exit().get()).as(agent.out().toString()).isZero();
      assertThat(socket).doesNotExist();
    }
  }

  @Test
  void aKbsThatDoesNotTrustTheAgentsAkReleasesNothing(@TempDir Path tmp) throws Exception {
    try (Kbs kbs = Kbs.start(false);
        Background agent = agent(kbs, tmp.resolve("cdh.sock"))) {
      int port = Integer.parseInt(agent.await(LISTENING).group(1));
      HttpResponse<String> r = send(port, "GET", "/cdh/resource/default/key/app", "");
      assertThat(r.statusCode()).isEqualTo(403);
      assertThat(r.body()).startsWith("kbs:").doesNotContain("released-to-the-agent");
      HttpResponse<String> u = send(port, "POST", "/cdh/unseal", sealed.sealed());
      assertThat(u.statusCode()).isEqualTo(403);
      assertThat(u.body()).doesNotContain(SECRET);
    }
  }

  @Test
  void dataHubOptionsWithoutKbsOrOutOfRangeAreUsageErrors() {
    assertThat(
            CliRun.of(
                    "agent",
                    "--host-id",
                    "g",
                    "--kbs",
                    "http://127.0.0.1:1",
                    "--data-hub-port",
                    "70000")
                .exit())
        .isEqualTo(ExitCodes.BAD_INPUT);
    CliRun noKbs =
        CliRun.of(
            "agent",
            "--host-id",
            "g",
            "--nats",
            "nats://127.0.0.1:1",
            "--kbs-cacert",
            dir.resolve("sign.pub").toString());
    assertThat(noKbs.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(noKbs.err()).contains("--kbs-cacert needs --kbs");
  }
}
