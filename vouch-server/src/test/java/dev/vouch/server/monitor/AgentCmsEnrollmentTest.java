package dev.vouch.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.agent.trust.AgentCertificates;
import dev.vouch.agent.trust.CmsClient;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.agent.trust.RegistrarException;
import dev.vouch.agent.trust.ReloadingKeyManager;
import dev.vouch.agent.trust.TestPki;
import dev.vouch.agent.trust.Tls;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.manager.AttestationOutcome;
import dev.vouch.server.manager.Host;
import dev.vouch.server.manager.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's side of the CMS end to end, with the real agent classes ({@link AgentCertificates},
 * {@link CmsClient}, the HTTPS listener) on swtpm and a real server: enrollment under a one-time
 * bootstrap token, attestation over mutual TLS with the CMS certificate, renewal at two thirds of a
 * configured validity (the agent's clock is moved, nothing sleeps on it) with the listener
 * presenting the new certificate without a restart, and refusal once the certificate is revoked.
 */
class AgentCmsEnrollmentTest {
  private static final Duration WAIT = Duration.ofSeconds(40);
  // the server dials the agent by its host id: the name in the certificate the CMS issues
  private static final String HOST = "localhost";

  @TempDir Path dir;
  private NatsServer nats;
  private VouchServer vouch;
  private SwtpmHost host;

  @AfterEach
  void stop() throws Exception {
    if (vouch != null) {
      vouch.close();
    }
    if (host != null) {
      host.close();
    }
    if (nats != null) {
      nats.close();
    }
  }

  @Test
  void anAgentEnrollsAttestsRenewsAndIsRefusedOnceRevoked() throws Exception {
    nats = NatsServer.start();
    TestPki verifierPki = TestPki.create("Vouch verifier client CA");
    ServerConfig.Hosts hosts =
        new ServerConfig.Hosts(
            true,
            Duration.ofHours(1),
            Map.of(),
            Duration.ofSeconds(60),
            8,
            "tofu",
            Duration.ofDays(1),
            false,
            Duration.ofSeconds(10),
            Optional.of(nats.url()),
            Optional.of(HostMonitoringEndToEndTest.verifierTlsFiles(verifierPki, dir)),
            false,
            Optional.empty(),
            false,
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            List.of());
    ServerConfig base = TestServers.plain(dir.resolve("server")).withHosts(hosts);
    Duration validity = Duration.ofHours(3);
    vouch = VouchServer.start(base.withTls(base.tls().withCmsValidity(validity)));
    TestServers.Client http = new TestServers.Client(vouch.baseUri());
    CmsClient cms = new CmsClient(vouch.baseUri().toString(), Optional.empty());
    X509Certificate cmsRoot = vouch.services().cms().authority().root();

    host = SwtpmHost.start(HOST, SwtpmHost.SECURE_BOOT_LOG, dir, vouch.enrollments(), nats.url());
    host.stopAgent(); // HTTPS only

    // enrollment: the agent's own key, kept 0600 in its state dir, certified for its host id
    String token = bootstrapToken(http, HOST);
    MutableClock agentClock = new MutableClock(Instant.now());
    Path state = dir.resolve("agent-state");
    AgentCertificates certs = new AgentCertificates(HOST, state, cms, agentClock);
    ReloadingKeyManager keys = certs.open(Optional.of(token));
    X509Certificate first = certs.chain().get(0);
    assertThat(first.getSubjectAlternativeNames()).containsExactly(List.of(2, HOST));
    // valid for the configured time from issuance, backdated by a sixth of it for slow clocks
    assertThat(Duration.between(first.getNotBefore().toInstant(), first.getNotAfter().toInstant()))
        .isEqualTo(validity.plus(validity.dividedBy(6)));
    assertThat(certs.renewAt()).isAfter(Instant.now());
    assertThat(certs.chain().getLast()).isEqualTo(cmsRoot);
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(state.resolve(AgentCertificates.FILE))))
        .isEqualTo("rw-------");
    assertThat(Files.readString(state.resolve(AgentCertificates.FILE))).doesNotContain(token);

    // the server attests it over mutual TLS, trusting the CMS root without any file naming it
    String url =
        host.serveHttps(Tls.context(keys, List.of(verifierPki.certificate())))
            .replace("127.0.0.1", HOST);
    TestServers.Reply r =
        http.post(
            "/api/v1/hosts", "{\"id\":\"" + HOST + "\",\"connection\":\"" + url + "\"}", true);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    Host verified =
        HostMonitoringEndToEndTest.awaitStatus(vouch, WAIT, HOST, HostStatus.VERIFIED, x -> true);
    assertThat(presentedSerial(url, verifierPki)).isEqualTo(first.getSerialNumber());

    // a restart finds its stored certificate and does not spend a token again
    AgentCertificates restarted = new AgentCertificates(HOST, state, cms, agentClock);
    assertThat(restarted.hasValidStoredIdentity()).isTrue();
    restarted.open(Optional.of(token));
    assertThat(restarted.chain().get(0)).isEqualTo(first);
    // but not under another host id: its certificate names this one
    assertThat(new AgentCertificates("renamed", state, cms, agentClock).hasValidStoredIdentity())
        .isFalse();

    // the spent token is refused to anyone else
    assertThatThrownBy(
            () ->
                new AgentCertificates(HOST, dir.resolve("thief"), cms, agentClock)
                    .open(Optional.of(token)))
        .isInstanceOfSatisfying(
            RegistrarException.class, e -> assertThat(e.code()).contains("bootstrap-token-used"));
    // a token for another host does not certify this host's name
    String othersToken = bootstrapToken(http, "other-host");
    assertThatThrownBy(
            () ->
                new AgentCertificates(HOST, dir.resolve("other"), cms, agentClock)
                    .open(Optional.of(othersToken)))
        .isInstanceOfSatisfying(
            RegistrarException.class, e -> assertThat(e.code()).contains("csr-name-mismatch"));

    // renewal: not before two thirds of the validity, then a new key and certificate that the
    // running listener presents from the next handshake on
    assertThat(certs.renewIfDue()).isFalse();
    agentClock.set(certs.renewAt());
    assertThat(certs.renewIfDue()).isTrue();
    X509Certificate renewed = certs.chain().get(0);
    assertThat(renewed.getSerialNumber()).isNotEqualTo(first.getSerialNumber());
    assertThat(renewed.getPublicKey()).isNotEqualTo(first.getPublicKey());
    assertThat(presentedSerial(url, verifierPki)).isEqualTo(renewed.getSerialNumber());
    assertThat(new AgentCertificates(HOST, state, cms, agentClock).hasValidStoredIdentity())
        .isTrue();
    http.post("/api/v1/hosts/" + HOST + "/attest", "", true);
    HostMonitoringEndToEndTest.awaitStatus(
        vouch,
        WAIT,
        HOST,
        HostStatus.VERIFIED,
        h -> !h.lastReportId().equals(verified.lastReportId()));

    // revoked: the operator revokes the host's certificates (the one before renewal stays valid
    // until it expires, and the server's open connection may still be authenticated by it); the
    // server then refuses the agent with a stable code, and the agent cannot renew
    List<String> serials = new java.util.ArrayList<>();
    http.get("/api/v1/cms/certificates", true)
        .json()
        .get("certificates")
        .forEach(
            c -> {
              if (c.get("host_id").asText().equals(HOST)) {
                serials.add(c.get("serial").asText());
              }
            });
    assertThat(serials)
        .containsExactlyInAnyOrder(
            first.getSerialNumber().toString(16), renewed.getSerialNumber().toString(16));
    for (String serial : serials) {
      assertThat(http.post("/api/v1/cms/certificates/" + serial + "/revoke", "", true).status())
          .isEqualTo(200);
    }
    http.post("/api/v1/hosts/" + HOST + "/attest", "", true);
    HostMonitoringEndToEndTest.awaitStatus(
        vouch,
        WAIT,
        HOST,
        HostStatus.UNKNOWN,
        h ->
            vouch
                .monitor()
                .registry()
                .history(HOST)
                .getLast()
                .reasons()
                .getFirst()
                .startsWith(AttestationOutcome.AGENT_CERTIFICATE_REVOKED + ":"));
    agentClock.set(certs.renewAt());
    assertThatThrownBy(certs::renewIfDue)
        .isInstanceOfSatisfying(
            RegistrarException.class,
            e -> assertThat(e.code()).contains("renewal-certificate-revoked"));
  }

  private static String bootstrapToken(TestServers.Client http, String hostId) {
    TestServers.Reply t =
        http.post("/api/v1/cms/bootstrap-tokens", "{\"host_id\":\"" + hostId + "\"}", true);
    assertThat(t.status()).as(t.body()).isEqualTo(201);
    return t.json().get("token").asText();
  }

  /** The serial of the certificate the agent's listener presents to a verifier now. */
  private java.math.BigInteger presentedSerial(String url, TestPki verifierPki) throws Exception {
    TestPki.Issued client = verifierPki.issueTls("verifier");
    SSLContext ctx =
        Tls.context(
            client.keys().getPrivate(),
            List.of(client.certificate()),
            List.of(vouch.services().cms().authority().root()));
    java.net.URI u = java.net.URI.create(url);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(u.getHost(), u.getPort())) {
      s.startHandshake();
      return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }
}
