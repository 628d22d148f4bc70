package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.cdh.DataHubTest;
import dev.vouch.agent.image.OciTestImages;
import dev.vouch.agent.tpm.MeasuredBoot;
import dev.vouch.agent.tpm.PcrSelection;
import dev.vouch.agent.tpm.StartupType;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.trust.Enrollment;
import dev.vouch.cli.kbs.TestKbs;
import dev.vouch.core.Tee;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.server.as.AttestationBackend;
import dev.vouch.server.kbs.AdminAuth;
import dev.vouch.server.kbs.InMemoryResourceStore;
import dev.vouch.server.kbs.InMemorySessionStore;
import dev.vouch.server.kbs.RealAttestation;
import dev.vouch.server.kbs.ResourcePath;
import dev.vouch.server.kbs.ResourcePolicy;
import io.javalin.Javalin;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code vouch agent --kbs}: the agent itself is the guest's data hub. It attests to a real KBS
 * with swtpm quotes by its own AK over its event logs; the loopback port and the unix socket answer
 * the same resource, a sealed secret unseals, and all of it rides one KBS session. A KBS that does
 * not trust the agent's AK releases nothing.
 */
class AgentDataHubTest {
  static final Path LOG =
      Path.of("../vouch-evidence/src/test/resources/vectors/tpm-eventlog/keylime")
          .resolve("binary_bios_measurements-secureboot");
  static final Path IMA =
      Path.of("../vouch-evidence/src/test/resources/vectors/ima/keylime")
          .resolve("ima-log-sha256.binary_runtime_measurements");
  static final String SECRET = "db-password: 4c1d";
  @TempDir static Path dir;
  static Swtpm swtpm;
  static String akSpkiSha256;
  static PcrValues pcrs;
  static byte[] kek;
  static String jwk;
  static String sealed;

  @BeforeAll
  static void setUp() throws Exception {
    swtpm = Swtpm.start();
    try (TpmClient c = swtpm.client()) {
      c.startup(StartupType.CLEAR);
      MeasuredBoot.measure(c, Files.readAllBytes(LOG), Files.readAllBytes(IMA));
      // the agent's defaults (RSA EK, AK at 0x81010002) make the same AK again
      Enrollment e = Enrollment.withDefaults(c);
      e.prepare();
      akSpkiSha256 =
          Hex.encode(
              HashAlg.SHA256.digest(AkKeys.parse(e.ak().publicArea()).publicKey().getEncoded()));
      pcrs = c.pcrRead(List.of(PcrSelection.range(HashAlg.SHA256, 0, 23)));
    }
    kek = new byte[32];
    new SecureRandom().nextBytes(kek);
    Files.write(dir.resolve("kek"), kek);
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair signer = g.generateKeyPair();
    OciTestImages.writePem(
        dir.resolve("sign.pem"), "PRIVATE KEY", signer.getPrivate().getEncoded());
    OciTestImages.writePem(dir.resolve("sign.pub"), "PUBLIC KEY", signer.getPublic().getEncoded());
    Files.writeString(dir.resolve("secret"), SECRET);
    CliRun j = CliRun.of("secret", "jwk", dir.resolve("sign.pub").toString());
    assertThat(j.exit()).as(j.err()).isZero();
    jwk = j.out().strip();
    CliRun s =
        CliRun.of(
            "secret",
            "seal",
            "--key-id",
            "kbs:///default/sealing/kek",
            "--key-file",
            dir.resolve("kek").toString(),
            "--signing-key",
            dir.resolve("sign.pem").toString(),
            "--signing-kid",
            "kbs:///default/sealing/signer",
            "--in",
            dir.resolve("secret").toString());
    assertThat(s.exit()).as(s.err()).isZero();
    sealed = s.out().strip();
  }

  @AfterAll
  static void stopTpm() {
    if (swtpm != null) {
      swtpm.close();
    }
  }

  /** A KBS with the test's resources; it trusts the agent's AK and PCRs when {@code trusting}. */
  record Kbs(Javalin app, RealAttestation backend, InMemorySessionStore sessions)
      implements AutoCloseable {
    static Kbs start(boolean trusting) {
      RealAttestation backend = new RealAttestation(Clock.systemUTC(), Duration.ofMinutes(5));
      if (trusting) {
        backend.reference("tpm.trusted_aks", List.of(akSpkiSha256));
        for (int i : new int[] {0, 2, 4, 7}) {
          backend.reference(
              "tpm.pcr.sha256." + i,
              List.of(Hex.encode(pcrs.get(HashAlg.SHA256, i).orElseThrow())));
        }
      }
      InMemoryResourceStore resources = new InMemoryResourceStore();
      resources.put(new ResourcePath("default", "key", "app"), "released-to-the-agent".getBytes());
      resources.put(new ResourcePath("default", "key", "other"), "second".getBytes());
      resources.put(new ResourcePath("default", "sealing", "kek"), kek);
      resources.put(
          new ResourcePath("default", "sealing", "signer"), jwk.getBytes(StandardCharsets.UTF_8));
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

  /** A running {@code vouch agent --kbs}, stopped on close. */
  record Agent(AgentCommand cmd, Thread thread, AtomicInteger exit, StringWriter out, int hubPort)
      implements AutoCloseable {
    static Agent start(Kbs kbs, Path socket) throws Exception {
      AgentCommand cmd = new AgentCommand();
      StringWriter out = new StringWriter();
      CommandLine cl = new CommandLine(cmd);
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(out, true));
      AtomicInteger exit = new AtomicInteger(-1);
      Thread t =
          Thread.ofVirtual()
              .start(
                  () ->
                      exit.set(
                          cl.execute(
                              "--host-id",
                              "guest-1",
                              "--tpm",
                              "swtpm:127.0.0.1:" + swtpm.port(),
                              "--event-log",
                              LOG.toString(),
                              "--ima-log",
                              IMA.toString(),
                              "--kbs",
                              "http://127.0.0.1:" + kbs.app().port(),
                              "--data-hub-port",
                              "0",
                              "--data-hub-socket",
                              socket.toString())));
      // the agent prints this line once the hub listens (or exits with an error)
      Matcher m = Pattern.compile("data hub on 127\\.0\\.0\\.1:(\\d+)").matcher("");
      while (t.isAlive() && !m.reset(out.toString()).find()) {
        t.join(Duration.ofMillis(50));
      }
      assertThat(m.reset(out.toString()).find()).as(out.toString()).isTrue();
      return new Agent(cmd, t, exit, out, Integer.parseInt(m.group(1)));
    }

    HttpResponse<String> send(String method, String path, String body) throws Exception {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hubPort + path))
                  .method(method, HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws InterruptedException {
      cmd.stop.countDown();
      thread.join(Duration.ofSeconds(10));
    }
  }

  @Test
  void theAgentServesResourcesAndUnsealsOverOneAttestedKbsSession(@TempDir Path tmp)
      throws Exception {
    Path socket = tmp.resolve("cdh.sock");
    try (Kbs kbs = Kbs.start(true)) {
      Agent agent = Agent.start(kbs, socket);
      try (agent) {
        assertThat(kbs.sessions().size()).as("no attestation before a workload asks").isZero();
        HttpResponse<String> tcp = agent.send("GET", "/cdh/resource/default/key/app", "");
        assertThat(tcp.statusCode()).as(tcp.body()).isEqualTo(200);
        assertThat(tcp.body()).isEqualTo("released-to-the-agent");
        assertThat(DataHubTest.overSocket(socket, "GET", "/cdh/resource/default/key/app", ""))
            .isEqualTo(List.of(200, "application/octet-stream", "released-to-the-agent"));
        assertThat(agent.send("GET", "/cdh/resource/default/key/other", "").body())
            .isEqualTo("second");
        HttpResponse<String> unsealed = agent.send("POST", "/cdh/unseal", sealed);
        assertThat(unsealed.statusCode()).as(unsealed.body()).isEqualTo(200);
        assertThat(unsealed.body()).isEqualTo(SECRET);
        assertThat(DataHubTest.overSocket(socket, "POST", "/cdh/unseal", sealed).get(2))
            .isEqualTo(SECRET);
        assertThat(agent.send("GET", "/cdh/resource/default/key/none", "").statusCode())
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
        Agent agent = Agent.start(kbs, tmp.resolve("cdh.sock"))) {
      HttpResponse<String> r = agent.send("GET", "/cdh/resource/default/key/app", "");
      assertThat(r.statusCode()).isEqualTo(403);
      assertThat(r.body()).startsWith("kbs:").doesNotContain("released-to-the-agent");
      HttpResponse<String> u = agent.send("POST", "/cdh/unseal", sealed);
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
