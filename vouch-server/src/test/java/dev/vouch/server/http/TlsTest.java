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
    return HttpClient.newBuilder().sslContext(ctx).build();
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
      assertThat(
              PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(cert.resolveSibling("server.key"))))
          .isEqualTo("rw-------");
      TestServers.Reply r =
          new TestServers.Client(trusting(cert), s.baseUri()).get("/healthz", false);
      assertThat(r.status()).isEqualTo(200);
    }
    try (VouchServer s = VouchServer.start(cfg)) {
      assertThat(Files.readAllBytes(cert)).isEqualTo(first);
      assertThat(new TestServers.Client(trusting(cert), s.baseUri()).get("/readyz", false).status())
          .isEqualTo(200);
    }
  }
}
