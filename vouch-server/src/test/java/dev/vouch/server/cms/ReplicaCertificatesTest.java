package dev.vouch.server.cms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.agent.trust.CmsClient;
import dev.vouch.agent.trust.TestPki;
import dev.vouch.agent.trust.Tls;
import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.manager.MutableClock;
import dev.vouch.server.store.TestDatabases;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tls.mode: cms}: two replicas on one PostgreSQL database each serve HTTPS with their own
 * certificate from the shared CMS intermediate, so a client (an agent) that pins the CMS root alone
 * reaches either; a replica renews its certificate at two thirds of its validity and the listener
 * presents the new one without a restart.
 */
class ReplicaCertificatesTest {
  private static final List<String> NAMES = List.of("localhost", "127.0.0.1");
  private static final Duration VALIDITY = Duration.ofDays(30);

  @TempDir Path dir;

  @Test
  void replicasServeCertificatesOfOneCmsRootAndRenewThemWithoutARestart() throws Exception {
    byte[] kek = new byte[32];
    new SecureRandom().nextBytes(kek);
    String sharedKek = Base64.getEncoder().encodeToString(kek);
    // replica a started twenty days ago by its clock: its first certificate is due for renewal
    MutableClock clockA = new MutableClock(Instant.now().minus(Duration.ofDays(20)));
    try (TestDatabases.Handle db = TestDatabases.postgres();
        VouchServer a = VouchServer.start(config("a", db, sharedKek), clockA, List.of());
        VouchServer b = VouchServer.start(config("b", db, sharedKek))) {
      X509Certificate root = a.services().cms().authority().root();
      assertThat(b.services().cms().authority().root()).isEqualTo(root);

      X509Certificate certA = presented(a, "localhost", root);
      X509Certificate certB = presented(b, "localhost", root);
      assertThat(certA.getSerialNumber()).isNotEqualTo(certB.getSerialNumber());
      assertThat(certA.getPublicKey()).isNotEqualTo(certB.getPublicKey());
      for (X509Certificate c : List.of(certA, certB)) {
        assertThat(c.getSubjectAlternativeNames())
            .containsExactlyInAnyOrder(List.of(2, "localhost"), List.of(7, "127.0.0.1"));
        assertThat(c.getIssuerX500Principal())
            .isEqualTo(a.services().cms().authority().chain().get(0).getSubjectX500Principal());
      }
      // the address is a name of the certificate too
      assertThat(presented(b, "127.0.0.1", root)).isEqualTo(certB);

      // the CA chain the replicas publish validates both under the root alone
      String caPem = get(a, "/api/v1/cms/ca", root).body();
      for (X509Certificate c : List.of(certA, certB)) {
        List<X509Certificate> path = new java.util.ArrayList<>(List.of(c));
        path.add(CmsTest.parseChain(caPem).get(0));
        PKIXParameters p = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
        p.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX")
            .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), p);
      }

      // a client pinning another CA is refused by both
      X509Certificate stranger = TestPki.create("Someone else").certificate();
      for (VouchServer r : List.of(a, b)) {
        assertThatThrownBy(() -> presented(r, "localhost", stranger))
            .isInstanceOf(SSLHandshakeException.class);
      }

      // renewal: b's certificate is young, a's is due once its clock reaches today
      assertThat(b.renewTlsIfDue()).isFalse();
      clockA.set(Instant.now());
      assertThat(a.renewTlsIfDue()).isTrue();
      X509Certificate renewed = presented(a, "localhost", root);
      assertThat(renewed.getSerialNumber()).isNotEqualTo(certA.getSerialNumber());
      assertThat(renewed.getPublicKey()).isNotEqualTo(certA.getPublicKey());
      assertThat(a.renewTlsIfDue()).isFalse();
      assertThat(get(a, "/healthz", root).statusCode()).isEqualTo(200);

      // an agent pinning the CMS root enrolls with a token from one replica through the other
      String token =
          TestServers.JSON
              .readTree(
                  post(a, "/api/v1/cms/bootstrap-tokens", "{\"host_id\":\"node-9\"}", root).body())
              .get("token")
              .asText();
      var issued =
          new CmsClient(https(b, "localhost").toString(), Optional.of(Tls.trusting(List.of(root))))
              .enroll(token, Csrs.pem(Csrs.csr(Csrs.p256(), "node-9", "node-9")));
      assertThat(issued.getLast()).isEqualTo(root);
    }
  }

  private ServerConfig config(String name, TestDatabases.Handle db, String kek) {
    ServerConfig c =
        TestServers.config(dir.resolve(name), ServerConfig.TlsMode.OFF, Optional.of(db.url()))
            .withTls(ServerConfig.Tls.cms(NAMES));
    ServerConfig.Storage s = c.storage();
    return c.withStorage(
        new ServerConfig.Storage(
            s.jdbcUrl(), s.username(), s.password(), 4, Optional.empty(), Optional.of(kek)));
  }

  private static URI https(VouchServer s, String host) {
    return URI.create("https://" + host + ":" + s.baseUri().getPort());
  }

  /** The leaf a fresh handshake by {@code host} gets, trusting {@code anchor} only. */
  private static X509Certificate presented(VouchServer s, String host, X509Certificate anchor)
      throws Exception {
    SSLContext ctx = Tls.trusting(List.of(anchor));
    try (SSLSocket socket =
        (SSLSocket) ctx.getSocketFactory().createSocket(host, s.baseUri().getPort())) {
      javax.net.ssl.SSLParameters p = socket.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(p);
      socket.startHandshake();
      return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }
  }

  private static HttpResponse<String> get(VouchServer s, String path, X509Certificate root)
      throws Exception {
    return send(s, HttpRequest.newBuilder(https(s, "localhost").resolve(path)).GET(), root);
  }

  private static HttpResponse<String> post(
      VouchServer s, String path, String body, X509Certificate root) throws Exception {
    return send(
        s,
        HttpRequest.newBuilder(https(s, "localhost").resolve(path))
            .header("Authorization", "Bearer " + TestServers.ADMIN)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)),
        root);
  }

  private static HttpResponse<String> send(
      VouchServer s, HttpRequest.Builder req, X509Certificate root) throws Exception {
    HttpClient http = HttpClient.newBuilder().sslContext(Tls.trusting(List.of(root))).build();
    HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isLessThan(300);
    return r;
  }
}
