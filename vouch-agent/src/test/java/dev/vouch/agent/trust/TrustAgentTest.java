package dev.vouch.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.agent.tpm.ClockInfo;
import dev.vouch.agent.tpm.EkTemplate;
import dev.vouch.agent.tpm.KeyTemplate;
import dev.vouch.agent.tpm.PersistentKey;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.TpmQuoteVerifier;
import dev.vouch.evidence.tpm.VerifiedQuote;
import dev.vouch.evidence.tpm.ima.ImaLog;
import dev.vouch.evidence.tpm.protocol.AgentAnnouncement;
import dev.vouch.evidence.tpm.protocol.AgentProblem;
import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import dev.vouch.evidence.tpm.protocol.QuoteResponse;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The trust agent against a real swtpm: what it quotes, sends and refuses, on both transports. */
class TrustAgentTest {
  private static final String IMA_RESOURCE =
      "/vectors/ima/rust-keylime/ascii_runtime_measurements.binary_runtime_measurements";

  static Swtpm swtpm;
  static TpmClient tpm;
  static PersistentKey ak;
  static Path dir;
  static byte[] imaList;

  @BeforeAll
  static void start() throws Exception {
    swtpm = Swtpm.start();
    tpm = swtpm.client();
    Enrollment enrollment = Enrollment.withDefaults(tpm);
    enrollment.prepare();
    ak = enrollment.ak();
    dir = Files.createTempDirectory("vouch-agent-test-");
    try (InputStream in = TrustAgentTest.class.getResourceAsStream(IMA_RESOURCE)) {
      imaList = in.readAllBytes();
    }
    Files.write(dir.resolve("ima"), imaList);
    Files.write(dir.resolve("eventlog"), new byte[] {1, 2, 3});
    Path root = dir.resolve("root");
    Files.createDirectories(root.resolve("etc"));
    Files.createDirectories(root.resolve("proc/sys/kernel"));
    Files.createDirectories(root.resolve("sys/class/dmi/id"));
    Files.writeString(
        root.resolve("etc/os-release"),
        "# comment\nNAME='Debian GNU/Linux'\nVERSION_ID=\"12\"\nID=debian\n");
    Files.writeString(root.resolve("proc/sys/kernel/osrelease"), "6.1.0-28-amd64\n");
    Files.writeString(root.resolve("sys/class/dmi/id/bios_vendor"), "SeaBIOS\n");
    Files.writeString(
        root.resolve("sys/class/dmi/id/product_uuid"), "4C4C4544-0042-3510-8052-B4C04F4D3232\n");
    Files.writeString(root.resolve("sys/class/dmi/id/bios_version"), "1.16.2-debian-1.16.2-1\n");
  }

  @AfterEach
  void leavesNoTransientObjectsOrSessions() throws Exception {
    assertThat(tpm.transientHandles()).isEmpty();
    assertThat(tpm.loadedSessions()).isEmpty();
  }

  @AfterAll
  static void stop() throws Exception {
    if (tpm != null) {
      tpm.close();
    }
    if (swtpm != null) {
      swtpm.close();
    }
    if (dir != null) {
      Swtpm.deleteTree(dir);
    }
  }

  private static TrustAgent agent() {
    return new TrustAgent(
        new TrustAgentConfig(
            "node-7", dir.resolve("eventlog"), dir.resolve("ima"), dir.resolve("root")),
        tpm,
        ak);
  }

  private static QuoteRequest request(byte[] nonce, boolean eventLog, OptionalLong ima) {
    return new QuoteRequest(
        nonce,
        Map.of(
            HashAlg.SHA256,
            new TreeSet<>(List.of(0, 7, 10)),
            HashAlg.SHA1,
            new TreeSet<>(List.of(10))),
        eventLog,
        ima);
  }

  @Test
  void quoteVerifiesWithTheAkAndCarriesTheAskedLogsAndHostFacts() throws Exception {
    byte[] nonce = tpm.getRandom(32);
    QuoteResponse r = agent().quote(request(nonce, true, OptionalLong.of(0)));
    TpmEvidenceBundle b = r.evidence();
    assertThat(r.hostId()).isEqualTo("node-7");
    assertThat(b.ak().name()).contains(ak.name());
    List<VerifiedQuote> verified = TpmQuoteVerifier.verify(b, Expectations.withNonce(nonce));
    assertThat(verified).hasSize(1);
    assertThat(verified.getFirst().pcrs().indexes(HashAlg.SHA256)).containsExactly(0, 7, 10);
    assertThat(verified.getFirst().pcrs().indexes(HashAlg.SHA1)).containsExactly(10);
    assertThat(b.eventLog()).contains(new byte[] {1, 2, 3});
    assertThat(b.imaLog()).contains(imaList);
    assertThat(r.imaOffset()).isZero();
    assertThat(r.host().osName()).isEqualTo("Debian GNU/Linux");
    assertThat(r.host().osVersion()).isEqualTo("12");
    assertThat(r.host().kernel()).isEqualTo("6.1.0-28-amd64");
    assertThat(r.host().biosVendor()).isEqualTo("SeaBIOS");
    assertThat(r.host().hardwareUuid()).isEqualTo("4c4c4544-0042-3510-8052-b4c04f4d3232");
    assertThat(r.host().biosVersion()).isEqualTo("1.16.2-debian-1.16.2-1");
    assertThat(r.host().tpmManufacturer()).isEqualTo("IBM");
    assertThat(r.host().tpmFirmware()).matches("\\d+\\.\\d+\\.\\d+\\.\\d+");
    // the JSON form reads back to the same evidence
    QuoteResponse back = QuoteResponse.parse(r.toJson());
    assertThat(back.evidence().quotes().getFirst().attest())
        .isEqualTo(b.quotes().getFirst().attest());
  }

  @Test
  void imaEntriesAreSentFromTheAskedOffsetAndWholeAfterARestart() throws Exception {
    ImaLog whole = ImaLog.parseBinary(imaList);
    int from = whole.size() - 3;
    QuoteResponse r = agent().quote(request(new byte[8], false, OptionalLong.of(from)));
    assertThat(r.imaOffset()).isEqualTo(from);
    ImaLog tail = ImaLog.parseBinary(r.evidence().imaLog().orElseThrow());
    assertThat(tail.size()).isEqualTo(3);
    assertThat(tail.entries().getFirst().templateHash())
        .isEqualTo(whole.entries().get(from).templateHash());
    assertThat(r.evidence().eventLog()).isEmpty();

    // a verifier that knows more entries than the host has: the list restarted (reboot)
    QuoteResponse restarted =
        agent().quote(request(new byte[8], false, OptionalLong.of(whole.size() + 5)));
    assertThat(restarted.imaOffset()).isZero();
    assertThat(restarted.evidence().imaLog()).contains(imaList);

    QuoteResponse upToDate =
        agent().quote(request(new byte[8], false, OptionalLong.of(whole.size())));
    assertThat(upToDate.imaOffset()).isEqualTo(whole.size());
    assertThat(upToDate.evidence().imaLog()).isEmpty();
  }

  @Test
  void logsThatDoNotExistAreLeftOut() throws Exception {
    TrustAgent agent =
        new TrustAgent(
            new TrustAgentConfig(
                "node-7", dir.resolve("none"), dir.resolve("none"), dir.resolve("none")),
            tpm,
            ak);
    QuoteResponse r = agent.quote(request(new byte[8], true, OptionalLong.of(0)));
    assertThat(r.evidence().eventLog()).isEmpty();
    assertThat(r.evidence().imaLog()).isEmpty();
    assertThat(r.host().osName()).isEmpty();
    assertThat(r.host().hardwareUuid()).isEmpty();
    assertThat(r.host().tpmManufacturer()).isEqualTo("IBM");
  }

  @Test
  void announcementCarriesTheTpmResetAndRestartCounters() throws Exception {
    AgentAnnouncement a = agent().announcement();
    ClockInfo clock = tpm.readClock();
    assertThat(a.hostId()).isEqualTo("node-7");
    assertThat(a.resetCount()).isEqualTo(clock.resetCount());
    assertThat(a.restartCount()).isEqualTo(clock.restartCount());
    assertThat(AgentAnnouncement.parse(a.toJson())).isEqualTo(a);
  }

  @Test
  void enrollmentPreparationIsIdempotentAndKeepsOneAk() throws Exception {
    Enrollment e = Enrollment.withDefaults(tpm);
    Enrollment.Material first = e.prepare();
    Enrollment.Material second = e.prepare();
    assertThat(second.akPublic()).isEqualTo(first.akPublic());
    assertThat(first.ekCertificate()).isEqualTo(tpm.readEkCertificate(EkTemplate.RSA_2048));
    assertThatThrownBy(
            () -> new Enrollment(tpm, EkTemplate.RSA_2048, KeyTemplate.akEccP256(), 0x80000001))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** An agent's server context and a verifier's client context, each trusting the other's CA. */
  private static SSLContext[] mutualTls() throws Exception {
    TestPki pki = TestPki.create("test CA");
    TestPki.Issued server = pki.issueTls("agent");
    TestPki.Issued client = pki.issueTls("verifier");
    return new SSLContext[] {
      Tls.context(
          server.keys().getPrivate(), List.of(server.certificate()), List.of(pki.certificate())),
      Tls.context(
          client.keys().getPrivate(), List.of(client.certificate()), List.of(pki.certificate()))
    };
  }

  @Test
  void httpsListenerSpeaksOnlyTls13UnlessTls12IsAllowed() throws Exception {
    SSLContext[] tls = mutualTls();
    SSLContext serverTls = tls[0];
    SSLContext clientTls = tls[1];
    HttpClient only12 =
        HttpClient.newBuilder()
            .sslContext(clientTls)
            .sslParameters(new javax.net.ssl.SSLParameters(null, new String[] {"TLSv1.2"}))
            .build();
    for (boolean allow12 : new boolean[] {false, true}) {
      try (HttpsAgentServer s =
          HttpsAgentServer.start(
              agent(), new InetSocketAddress("127.0.0.1", 0), serverTls, allow12)) {
        HttpRequest get =
            HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + s.port() + HttpsAgentServer.QUOTE_PATH))
                .GET()
                .build();
        if (allow12) {
          HttpResponse<Void> r = only12.send(get, HttpResponse.BodyHandlers.discarding());
          assertThat(r.statusCode()).isEqualTo(405);
          assertThat(r.sslSession().orElseThrow().getProtocol()).isEqualTo("TLSv1.2");
        } else {
          org.assertj.core.api.Assertions.assertThatThrownBy(
                  () -> only12.send(get, HttpResponse.BodyHandlers.discarding()))
              .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
        }
      }
    }
  }

  @Test
  void httpsServerAnswersBadRequestsWithProblemDocuments() throws Exception {
    SSLContext[] tls = mutualTls();
    SSLContext serverTls = tls[0];
    SSLContext clientTls = tls[1];
    try (HttpsAgentServer s =
        HttpsAgentServer.start(agent(), new InetSocketAddress("127.0.0.1", 0), serverTls)) {
      HttpClient http = HttpClient.newBuilder().sslContext(clientTls).build();
      URI uri = URI.create("https://127.0.0.1:" + s.port() + HttpsAgentServer.QUOTE_PATH);

      HttpResponse<byte[]> bad =
          http.send(
              HttpRequest.newBuilder(uri)
                  .POST(HttpRequest.BodyPublishers.ofString("{\"nonce\":\"zz\",\"pcrs\":{}}"))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.headers().firstValue("Content-Type")).contains("application/problem+json");
      assertThat(AgentProblem.parse(bad.body()).code()).isEqualTo("MALFORMED");

      HttpResponse<byte[]> get =
          http.send(
              HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
      assertThat(get.statusCode()).isEqualTo(405);

      byte[] nonce = tpm.getRandom(16);
      HttpResponse<byte[]> ok =
          http.send(
              HttpRequest.newBuilder(uri)
                  .POST(
                      HttpRequest.BodyPublishers.ofByteArray(
                          request(nonce, false, OptionalLong.empty()).toJson()))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(ok.statusCode()).as(new String(ok.body(), StandardCharsets.UTF_8)).isEqualTo(200);
      TpmQuoteVerifier.verify(
          QuoteResponse.parse(ok.body()).evidence(), Expectations.withNonce(nonce));
    }
  }

  @Test
  @SuppressWarnings("try") // jnats Connection.close() may throw InterruptedException
  void natsServiceAnnouncesItselfAndAnswersRequestsAndProblems() throws Exception {
    try (NatsServer server = NatsServer.start();
        Connection verifier = Nats.connect(server.url());
        Connection agentSide = Nats.connect(server.url())) {
      var announcements = verifier.subscribe(NatsAgentService.announceSubject("node-7"));
      verifier.flush(Duration.ofSeconds(5));
      try (NatsAgentService s = NatsAgentService.start(agent(), agentSide)) {
        Message announced = announcements.nextMessage(Duration.ofSeconds(5));
        assertThat(AgentAnnouncement.parse(announced.getData()).hostId()).isEqualTo("node-7");

        byte[] nonce = tpm.getRandom(20);
        Message reply =
            verifier
                .request(
                    NatsAgentService.quoteSubject("node-7"),
                    request(nonce, false, OptionalLong.empty()).toJson())
                .get(10, TimeUnit.SECONDS);
        TpmQuoteVerifier.verify(
            QuoteResponse.parse(reply.getData()).evidence(), Expectations.withNonce(nonce));

        Message problem =
            verifier
                .request(
                    NatsAgentService.quoteSubject("node-7"), "[]".getBytes(StandardCharsets.UTF_8))
                .get(10, TimeUnit.SECONDS);
        assertThat(AgentProblem.isProblem(problem.getData())).isTrue();
        assertThat(AgentProblem.parse(problem.getData()).code()).isEqualTo("MALFORMED");
      }
    }
  }
}
