package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.agent.trust.TestPki;
import dev.vouch.agent.trust.Tls;
import dev.vouch.core.bytes.Hex;
import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.TlsCertificates;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.manager.Host;
import dev.vouch.server.manager.HostRegistry;
import dev.vouch.server.registrar.EnrolledHost;
import dev.vouch.server.store.TestDatabases;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * {@code vouch agent --server}: an agent on a real swtpm enrolls over HTTPS with a running server
 * (self-signed TLS, EK roots of the swtpm local CA), the host joins the attestation manager, a
 * restarted agent enrolls again without trouble, and the enrollment survives a server restart, on
 * H2 and on PostgreSQL.
 */
class RegistrarEnrollmentTest {
  private static final String HOST = "node-7";

  @TempDir Path dir;

  static Stream<String> databases() {
    return Stream.of("h2", "postgresql");
  }

  /** An agent running in a virtual thread. */
  private record Running(
      AgentCommand command, Thread thread, StringWriter out, StringWriter err, AtomicInteger exit) {
    /** Waits for the agent to print {@code text}, or to exit. */
    boolean awaitOutput(String text) throws InterruptedException {
      for (int i = 0; i < 600; i++) {
        if (out.toString().contains(text)) {
          return true;
        }
        if (!thread.isAlive()) {
          return out.toString().contains(text);
        }
        Thread.sleep(50);
      }
      return false;
    }

    int stop() throws InterruptedException {
      command.stop.countDown();
      thread.join(Duration.ofSeconds(20));
      return exit.get();
    }
  }

  private static Running agent(String... args) {
    AgentCommand agent = new AgentCommand();
    CommandLine cl = new CommandLine(agent);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    AtomicInteger exit = new AtomicInteger(-1);
    Thread t = Thread.ofVirtual().start(() -> exit.set(cl.execute(args)));
    return new Running(agent, t, out, err, exit);
  }

  private String[] agentArgs(Swtpm swtpm, NatsServer nats, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "--host-id", HOST,
                "--tpm", "swtpm:127.0.0.1:" + swtpm.port(),
                "--nats", nats.url(),
                "--event-log", dir.resolve("none").toString(),
                "--ima-log", dir.resolve("none").toString()));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  private static ServerConfig.Registrar swtpmRoots() throws Exception {
    List<Path> ca = Swtpm.localCaCertificates();
    // swtpm's local CA cannot sign CRLs: EK revocation is off, explicitly
    return new ServerConfig.Registrar(
            List.of(ca.get(0)), List.of(ca.get(1)), Duration.ofSeconds(60))
        .withEkRevocation(false);
  }

  private static HttpClient trusting(Path cert) throws Exception {
    try (InputStream in = Files.newInputStream(cert)) {
      X509Certificate c =
          (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      return HttpClient.newBuilder().sslContext(Tls.trusting(List.of(c))).build();
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void agentEnrollsOverHttpsAndTheHostSurvivesRestarts(String kind) throws Exception {
    Path data = dir.resolve("server").toAbsolutePath();
    try (Swtpm swtpm = Swtpm.start();
        NatsServer nats = NatsServer.start();
        TestDatabases.Handle db =
            kind.equals("h2") ? TestDatabases.h2(data) : TestDatabases.postgres()) {
      ServerConfig cfg =
          TestServers.config(
                  data,
                  ServerConfig.TlsMode.SELF_SIGNED,
                  kind.equals("h2") ? Optional.empty() : Optional.of(db.url()))
              .withRegistrar(swtpmRoots());
      Path serverCert = TlsCertificates.selfSignedCert(data);
      EnrolledHost first;
      try (VouchServer s = VouchServer.start(cfg)) {
        String url = s.baseUri().toString();
        Running a =
            agent(
                agentArgs(
                    swtpm,
                    nats,
                    "--server",
                    url,
                    "--server-ca",
                    serverCert.toString(),
                    "--host-group",
                    "edge"));
        assertThat(a.awaitOutput("enrolled with " + url)).as(a.out() + " " + a.err()).isTrue();
        first = s.registrar().store().host(HOST).orElseThrow();
        Host managed = new HostRegistry(s.services().database()).get(HOST).orElseThrow();
        assertThat(managed.group()).isEqualTo("edge");
        assertThat(managed.connection()).isEqualTo("nats");
        assertThat(a.stop()).isZero();

        // a restarted agent finds its AK persistent and enrolls again: same AK, still one host
        Running again =
            agent(agentArgs(swtpm, nats, "--server", url, "--server-ca", serverCert.toString()));
        assertThat(again.awaitOutput("enrolled with")).as(again.err().toString()).isTrue();
        EnrolledHost second = s.registrar().store().host(HOST).orElseThrow();
        assertThat(second.akName()).isEqualTo(first.akName());
        assertThat(second.enrolledAt()).isAfterOrEqualTo(first.enrolledAt());
        assertThat(new HostRegistry(s.services().database()).list()).hasSize(1);
        assertThat(again.stop()).isZero();
      }

      try (VouchServer s = VouchServer.start(cfg)) {
        EnrolledHost back = s.registrar().store().host(HOST).orElseThrow();
        assertThat(back.akName()).isEqualTo(first.akName());
        assertThat(back.akPublic()).isEqualTo(first.akPublic());
        assertThat(new HostRegistry(s.services().database()).get(HOST)).isPresent();
        JsonNode viaApi =
            new TestServers.Client(trusting(serverCert), s.baseUri())
                .get("/api/v1/registrar/hosts/" + HOST, true)
                .json();
        assertThat(viaApi.get("ak_name").asText()).isEqualTo(Hex.encode(first.akName()));
        assertThat(viaApi.get("host_group").asText()).isEqualTo("edge");
      }
      try (TpmClient tpm = swtpm.client()) {
        assertThat(tpm.persistentKey(0x81010002).name()).isEqualTo(first.akName());
        assertThat(tpm.transientHandles()).isEmpty();
      }
    }
  }

  @Test
  void refusedEnrollmentStopsTheAgentWithExitOneAndUnreachableWithThree() throws Exception {
    try (Swtpm swtpm = Swtpm.start();
        NatsServer nats = NatsServer.start();
        VouchServer noRoots = VouchServer.start(TestServers.plain(dir.resolve("s")))) {
      Running refused = agent(agentArgs(swtpm, nats, "--server", noRoots.baseUri().toString()));
      refused.thread().join(Duration.ofSeconds(60));
      assertThat(refused.exit().get()).as(refused.out().toString()).isEqualTo(ExitCodes.FAILED);
      assertThat(refused.err().toString()).contains("ek-roots-not-configured");
      assertThat(new HostRegistry(noRoots.services().database()).list()).isEmpty();

      int closed;
      try (ServerSocket ss = new ServerSocket(0)) {
        closed = ss.getLocalPort();
      }
      Running unreachable = agent(agentArgs(swtpm, nats, "--server", "http://127.0.0.1:" + closed));
      unreachable.thread().join(Duration.ofSeconds(60));
      assertThat(unreachable.exit().get()).isEqualTo(ExitCodes.INTERNAL);
      assertThat(unreachable.err().toString()).contains("unreachable");
    }
  }

  @Test
  void badServerUrlsAndOptionsAreUsageErrors() {
    for (String[] extra :
        List.of(
            new String[] {"--server", "ftp://registrar"},
            new String[] {"--server", "http://registrar.example:8443"},
            new String[] {"--server", "not a url"},
            new String[] {
              "--server", "https://r:1", "--server-ca", dir.resolve("no.pem").toString()
            },
            new String[] {"--server", "https://r:1", "--host-group", "a b"},
            new String[] {"--server", "https://r:1", "--connection", "http://agent:9443"},
            new String[] {"--connection", "nats"})) {
      List<String> args =
          new ArrayList<>(List.of("agent", "--host-id", "a", "--nats", "nats://127.0.0.1:1"));
      args.addAll(List.of(extra));
      CliRun r = CliRun.of(args.toArray(String[]::new));
      assertThat(r.exit())
          .as(String.join(" ", extra) + ": " + r.err())
          .isEqualTo(ExitCodes.BAD_INPUT);
      assertThat(r.err()).startsWith("error: ");
    }
  }

  @Test
  void anAgentWithoutTlsFilesServesACmsCertificateFromItsBootstrapTokenAndKeepsItAcrossRestarts()
      throws Exception {
    Path data = dir.resolve("server").toAbsolutePath();
    try (Swtpm swtpm = Swtpm.start();
        NatsServer nats = NatsServer.start()) {
      ServerConfig cfg =
          TestServers.config(data, ServerConfig.TlsMode.SELF_SIGNED, Optional.empty())
              .withRegistrar(swtpmRoots());
      Path serverCert = TlsCertificates.selfSignedCert(data);
      try (VouchServer s = VouchServer.start(cfg)) {
        String url = s.baseUri().toString();
        HttpClient admin = trusting(serverCert);
        java.net.http.HttpResponse<String> t =
            admin.send(
                java.net.http.HttpRequest.newBuilder(
                        s.baseUri().resolve("/api/v1/cms/bootstrap-tokens"))
                    .header("Authorization", "Bearer " + TestServers.ADMIN)
                    .header("Content-Type", "application/json")
                    .POST(
                        java.net.http.HttpRequest.BodyPublishers.ofString(
                            "{\"host_id\":\"" + HOST + "\"}"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(t.statusCode()).as(t.body()).isEqualTo(201);
        String token = TestServers.JSON.readTree(t.body()).get("token").asText();
        Path tokenFile = Files.writeString(dir.resolve("token"), token + "\n");
        TestPki verifiers = TestPki.create("Verifier client CA");
        Path clientCa =
            Files.writeString(
                dir.resolve("verifiers.pem"),
                "-----BEGIN CERTIFICATE-----\n"
                    + java.util.Base64.getMimeEncoder()
                        .encodeToString(verifiers.certificate().getEncoded())
                    + "\n-----END CERTIFICATE-----\n");
        Path state = dir.resolve("agent-state");
        String[] args =
            agentArgs(
                swtpm,
                nats,
                "--server",
                url,
                "--server-ca",
                serverCert.toString(),
                "--listen",
                "127.0.0.1:0",
                "--client-ca",
                clientCa.toString(),
                "--bootstrap-token-file",
                tokenFile.toString(),
                "--state-dir",
                state.toString());

        Running a = agent(args);
        assertThat(a.awaitOutput("enrolled with")).as(a.out() + " " + a.err()).isTrue();
        X509Certificate presented = presented(a, verifiers, s);
        assertThat(presented.getSubjectAlternativeNames()).containsExactly(List.of(2, HOST));
        assertThat(a.out().toString())
            .contains("CMS certificate " + presented.getSerialNumber().toString(16));
        assertThat(
                java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(
                        state.resolve(dev.vouch.agent.trust.AgentCertificates.FILE))))
            .isEqualTo("rw-------");
        assertThat(a.stop()).isZero();
        assertThat(a.out() + " " + a.err()).doesNotContain(token);

        // restarted with the same (now spent) token: the stored certificate serves on
        Running again = agent(args);
        assertThat(again.awaitOutput("enrolled with")).as(again.err().toString()).isTrue();
        assertThat(presented(again, verifiers, s)).isEqualTo(presented);
        assertThat(again.stop()).isZero();

        // elsewhere, with neither a stored certificate nor a token, the agent does not start
        String[] noToken = args.clone();
        noToken[noToken.length - 3] = dir.resolve("empty").toString();
        noToken[noToken.length - 1] = dir.resolve("fresh-state").toString();
        Files.writeString(dir.resolve("empty"), "");
        Running none = agent(noToken);
        none.thread().join(Duration.ofSeconds(60));
        assertThat(none.exit().get()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(none.err().toString()).contains("no valid CMS certificate");
      }
    }
  }

  /** The certificate a running agent's HTTPS listener presents to a verifier. */
  private static X509Certificate presented(Running agent, TestPki verifiers, VouchServer s)
      throws Exception {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("HTTPS on port (\\d+)").matcher(agent.out().toString());
    assertThat(m.find()).as(agent.out().toString()).isTrue();
    TestPki.Issued client = verifiers.issueTls("verifier");
    javax.net.ssl.SSLContext ctx =
        Tls.context(
            client.keys().getPrivate(),
            List.of(client.certificate()),
            List.of(s.services().cms().authority().root()));
    try (javax.net.ssl.SSLSocket socket =
        (javax.net.ssl.SSLSocket)
            ctx.getSocketFactory().createSocket("127.0.0.1", Integer.parseInt(m.group(1)))) {
      socket.startHandshake();
      return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }
  }
}
