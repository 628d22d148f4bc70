package dev.vouch.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsTest {
  @TempDir Path dir;

  private static HttpClient trusting(Path certFile) throws Exception {
    return HttpClient.newBuilder().sslContext(trustContext(certFile)).build();
  }

  private static SSLContext trustContext(Path certFile) throws Exception {
    X509Certificate cert;
    try (InputStream in = Files.newInputStream(certFile)) {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry("vouch", cert);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  @Test
  void onlyTls13IsAcceptedUnlessTlsMinVersionIs12() throws Exception {
    ServerConfig only13 =
        TestServers.config(dir, ServerConfig.TlsMode.SELF_SIGNED, Optional.empty());
    Path cert = TlsCertificates.selfSignedCert(dir.toAbsolutePath());
    try (VouchServer s = VouchServer.start(only13)) {
      assertThat(handshake(cert, s.baseUri(), "TLSv1.3")).isEqualTo("TLSv1.3");
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> handshake(cert, s.baseUri(), "TLSv1.2"))
          .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
    }
    ServerConfig with12 =
        new ServerConfig(
            only13.dataDir(),
            only13.http(),
            new ServerConfig.Tls(
                ServerConfig.TlsMode.SELF_SIGNED, Optional.empty(), Optional.empty(), true),
            only13.storage(),
            only13.tokens(),
            only13.admin(),
            only13.rvps());
    try (VouchServer s = VouchServer.start(with12)) {
      assertThat(handshake(cert, s.baseUri(), "TLSv1.2")).isEqualTo("TLSv1.2");
    }
  }

  /** The protocol a client offering only {@code protocol} agrees with the server. */
  private static String handshake(Path cert, java.net.URI base, String protocol) throws Exception {
    SSLContext ctx = trustContext(cert);
    try (javax.net.ssl.SSLSocket socket =
        (javax.net.ssl.SSLSocket)
            ctx.getSocketFactory().createSocket(base.getHost(), base.getPort())) {
      socket.setEnabledProtocols(new String[] {protocol});
      socket.startHandshake();
      return socket.getSession().getProtocol();
    }
  }

  @Test
  void aSelfSignedCertificateIsMadeOnFirstStartAndReusedAfterRestart() throws Exception {
    ServerConfig cfg = TestServers.config(dir, ServerConfig.TlsMode.SELF_SIGNED, Optional.empty());
    Path cert = TlsCertificates.selfSignedCert(dir.toAbsolutePath());
    byte[] first;
    try (VouchServer s = VouchServer.start(cfg)) {
      assertThat(s.baseUri().getScheme()).isEqualTo("https");
      // no plain listener next to the TLS one
      org.eclipse.jetty.server.Connector[] connectors = s.connectors();
      assertThat(connectors).hasSize(1);
      assertThat(connectors[0].getProtocols()).contains("ssl");
      first = Files.readAllBytes(cert);
      Path key = TlsCertificates.selfSignedKey(dir.toAbsolutePath());
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
          .isEqualTo("rw-------");
      // sealed under the KEK: no PEM, no PKCS#8 structure in the clear
      assertThat(new String(Files.readAllBytes(key), java.nio.charset.StandardCharsets.ISO_8859_1))
          .doesNotContain("PRIVATE KEY");
      assertThat(cert.resolveSibling("server.key")).doesNotExist();
      assertThat(
              PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(dir.toAbsolutePath().resolve("vouch.mv.db"))))
          .isEqualTo("rw-------");
      java.net.http.HttpResponse<Void> r =
          trusting(cert)
              .send(
                  java.net.http.HttpRequest.newBuilder(s.baseUri().resolve("/healthz")).build(),
                  java.net.http.HttpResponse.BodyHandlers.discarding());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Strict-Transport-Security")).isPresent();
    }
    try (VouchServer s = VouchServer.start(cfg)) {
      assertThat(Files.readAllBytes(cert)).isEqualTo(first);
      assertThat(new TestServers.Client(trusting(cert), s.baseUri()).get("/readyz", false).status())
          .isEqualTo(200);
    }
  }

  @Test
  void aPlainKeyLeftByAnOlderVersionIsSealedAndRemovedOnStart() throws Exception {
    ServerConfig cfg = TestServers.config(dir, ServerConfig.TlsMode.SELF_SIGNED, Optional.empty());
    Path cert = TlsCertificates.selfSignedCert(dir.toAbsolutePath());
    Path sealed = TlsCertificates.selfSignedKey(dir.toAbsolutePath());
    try (VouchServer s = VouchServer.start(cfg)) {
      assertThat(sealed).exists();
    }
    byte[] pkcs8 =
        dev.vouch.server.store.Sealer.load(Optional.empty(), dir.toAbsolutePath().resolve("kek"))
            .unseal(Files.readAllBytes(sealed), "tls", "server.key");
    Path plain = cert.resolveSibling("server.key");
    Files.writeString(
        plain,
        "-----BEGIN PRIVATE KEY-----\n"
            + java.util.Base64.getMimeEncoder().encodeToString(pkcs8)
            + "\n-----END PRIVATE KEY-----\n");
    Files.delete(sealed);
    byte[] before = Files.readAllBytes(cert);
    try (VouchServer s = VouchServer.start(cfg)) {
      assertThat(plain).doesNotExist();
      assertThat(sealed).exists();
      assertThat(Files.readAllBytes(cert)).isEqualTo(before);
      assertThat(
              new TestServers.Client(trusting(cert), s.baseUri()).get("/healthz", false).status())
          .isEqualTo(200);
    }
  }
}
