package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.trust.NatsAgentService;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.agent.trust.TestPki;
import dev.vouch.agent.trust.Tls;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.tpm.TpmQuoteVerifier;
import dev.vouch.evidence.tpm.protocol.AgentAnnouncement;
import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import dev.vouch.evidence.tpm.protocol.QuoteResponse;
import dev.vouch.evidence.tpm.protocol.SoftwareMeasurement;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AgentCommandTest {
  @TempDir Path dir;

  @Test
  @SuppressWarnings("try") // jnats Connection.close() may throw InterruptedException
  void agentServesQuotesOverNatsUntilStoppedAndLeavesTheTpmClean() throws Exception {
    try (Swtpm swtpm = Swtpm.start();
        NatsServer nats = NatsServer.start();
        Connection verifier = Nats.connect(nats.url())) {
      Subscription announcements = verifier.subscribe(NatsAgentService.announceSubject("node-9"));
      verifier.flush(Duration.ofSeconds(5));
      AgentCommand agent = new AgentCommand();
      CommandLine cl = new CommandLine(agent);
      StringWriter out = new StringWriter();
      cl.setOut(new PrintWriter(out, true));
      AtomicInteger exit = new AtomicInteger(-1);
      Path app = Files.writeString(dir.resolve("app.bin"), "application");
      Path manifest = Files.writeString(dir.resolve("manifest"), app + "\n");
      Thread t =
          Thread.ofVirtual()
              .start(
                  () ->
                      exit.set(
                          cl.execute(
                              "--host-id", "node-9",
                              "--tpm", "swtpm:127.0.0.1:" + swtpm.port(),
                              "--nats", nats.url(),
                              "--event-log", dir.resolve("none").toString(),
                              "--ima-log", dir.resolve("none").toString(),
                              "--software-manifest", manifest.toString(),
                              "--software-log", dir.resolve("run/software.json").toString())));
      Message announced = announcements.nextMessage(Duration.ofSeconds(20));
      assertThat(announced).as("announcement; output: " + out).isNotNull();
      assertThat(AgentAnnouncement.parse(announced.getData()).hostId()).isEqualTo("node-9");

      byte[] nonce = new byte[] {7, 7, 7};
      QuoteRequest request =
          new QuoteRequest(
              nonce,
              Map.of(HashAlg.SHA256, new TreeSet<>(List.of(0, 7))),
              true,
              OptionalLong.of(0));
      Message reply =
          verifier
              .request(NatsAgentService.quoteSubject("node-9"), request.toJson())
              .get(10, TimeUnit.SECONDS);
      QuoteResponse r = QuoteResponse.parse(reply.getData());
      assertThat(TpmQuoteVerifier.verify(r.evidence(), Expectations.withNonce(nonce))).hasSize(1);
      assertThat(r.evidence().eventLog()).isEmpty();
      assertThat(r.software()).isEmpty();
      // asked for, the file the manifest names comes with the quote of PCR 15 it explains
      QuoteRequest software =
          new QuoteRequest(
              nonce,
              Map.of(HashAlg.SHA256, new TreeSet<>(List.of(SoftwareMeasurement.PCR))),
              false,
              OptionalLong.empty(),
              true);
      QuoteResponse sw =
          QuoteResponse.parse(
              verifier
                  .request(NatsAgentService.quoteSubject("node-9"), software.toJson())
                  .get(10, TimeUnit.SECONDS)
                  .getData());
      assertThat(sw.software().orElseThrow())
          .containsExactly(
              new SoftwareMeasurement(
                  app.toString(),
                  HashAlg.SHA256.digest("application".getBytes(StandardCharsets.UTF_8))));
      assertThat(sw.evidence().pcrs().get(HashAlg.SHA256, SoftwareMeasurement.PCR))
          .contains(SoftwareMeasurement.replay(sw.software().orElseThrow()));

      agent.stop.countDown();
      t.join(Duration.ofSeconds(10));
      assertThat(exit.get()).isZero();
      assertThat(out.toString())
          .contains("NATS on vouch.agent.node-9.quote")
          .contains("agent node-9: measured 1 files into PCR 15");
      // the agent closed its connection, so the TPM can be inspected
      try (TpmClient tpm = swtpm.client()) {
        assertThat(tpm.transientHandles()).isEmpty();
        assertThat(tpm.loadedSessions()).isEmpty();
        assertThat(tpm.persistentKey(0x81010002).name()).isNotEmpty();
      }
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  @Test
  void agentServesQuotesOverHttpsWithPemKeysToClientsOfTheGivenCa() throws Exception {
    TestPki pki = TestPki.create("cli CA");
    TestPki.Issued server = pki.issueTls("agent");
    TestPki.Issued client = pki.issueTls("verifier");
    Files.writeString(
        dir.resolve("key.pem"), pem("PRIVATE KEY", server.keys().getPrivate().getEncoded()));
    Files.writeString(
        dir.resolve("cert.pem"), pem("CERTIFICATE", server.certificate().getEncoded()));
    Files.writeString(dir.resolve("ca.pem"), pem("CERTIFICATE", pki.certificate().getEncoded()));
    try (Swtpm swtpm = Swtpm.start()) {
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
                              "--host-id", "node-9",
                              "--tpm", "swtpm:127.0.0.1:" + swtpm.port(),
                              "--listen", "127.0.0.1:0",
                              "--tls-key", dir.resolve("key.pem").toString(),
                              "--tls-cert", dir.resolve("cert.pem").toString(),
                              "--client-ca", dir.resolve("ca.pem").toString(),
                              "--event-log", dir.resolve("none").toString())));
      Matcher m = null;
      for (int i = 0; i < 200 && (m == null || !m.find()); i++) {
        Thread.sleep(50);
        m = Pattern.compile("HTTPS on port (\\d+)").matcher(out.toString());
      }
      assertThat(m.find(0)).as(out.toString()).isTrue();
      int port = Integer.parseInt(m.group(1));
      SSLContext tls =
          Tls.context(
              client.keys().getPrivate(),
              List.of(client.certificate()),
              List.of(pki.certificate()));
      byte[] nonce = new byte[] {1, 2, 3, 4};
      QuoteRequest request =
          new QuoteRequest(
              nonce,
              Map.of(HashAlg.SHA256, new TreeSet<>(List.of(0))),
              false,
              OptionalLong.empty());
      HttpResponse<byte[]> resp =
          HttpClient.newBuilder()
              .sslContext(tls)
              .build()
              .send(
                  HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/api/v1/quote"))
                      .POST(HttpRequest.BodyPublishers.ofByteArray(request.toJson()))
                      .build(),
                  HttpResponse.BodyHandlers.ofByteArray());
      assertThat(resp.statusCode()).isEqualTo(200);
      assertThat(
              TpmQuoteVerifier.verify(
                  QuoteResponse.parse(resp.body()).evidence(), Expectations.withNonce(nonce)))
          .hasSize(1);
      agent.stop.countDown();
      t.join(Duration.ofSeconds(10));
      assertThat(exit.get()).isZero();
    }
  }

  @Test
  void badHostIdsTransportsAndOptionsAreUsageErrors() {
    StringWriter err = new StringWriter();
    PrintWriter e = new PrintWriter(err, true);
    PrintWriter o = new PrintWriter(new StringWriter(), true);
    assertThat(Main.run(o, e, "agent", "--host-id", "a.b", "--nats", "nats://127.0.0.1:1"))
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(Main.run(o, e, "agent", "--host-id", "a")).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(
            Main.run(
                o, e, "agent", "--host-id", "a", "--nats", "nats://127.0.0.1:1", "--ek", "dsa"))
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(
            Main.run(
                o,
                e,
                "agent",
                "--host-id",
                "a",
                "--listen",
                "127.0.0.1:0",
                "--tls-key",
                dir.resolve("missing.pem").toString(),
                "--tls-cert",
                "x",
                "--client-ca",
                "y"))
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err.toString()).contains("--host-id must be");
  }

  @Test
  void unreachableTpmIsAnInternalError() {
    PrintWriter o = new PrintWriter(new StringWriter(), true);
    StringWriter err = new StringWriter();
    assertThat(
            Main.run(
                o,
                new PrintWriter(err, true),
                "agent",
                "--host-id",
                "a",
                "--tpm",
                "swtpm:127.0.0.1:1",
                "--nats",
                "nats://127.0.0.1:1"))
        .isEqualTo(ExitCodes.INTERNAL);
    assertThat(err.toString()).startsWith("error: ");
  }
}
