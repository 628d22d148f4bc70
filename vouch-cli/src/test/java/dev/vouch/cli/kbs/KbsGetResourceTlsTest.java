package dev.vouch.cli.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.cli.Main;
import dev.vouch.core.Tee;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.kbs.ResourcePath;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vouch kbs get-resource --tee sample --cacert PEM} against {@code vouch server} on its
 * self-signed TLS certificate, with the sample verifier enabled ({@code verifiers.sample: true})
 * and a resource policy that releases to affirmed sample tokens.
 */
class KbsGetResourceTlsTest {
  private static final String SECRET = "sample-secret-over-tls-41c2";

  @TempDir Path dir;
  private VouchServer server;

  @BeforeEach
  void start() throws Exception {
    KeyPair admin =
        KeyPairGenerator.getInstance("Ed25519", Crypto.bouncyCastle()).generateKeyPair();
    Path pem =
        Files.writeString(
            dir.resolve("admin.pub"),
            "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(admin.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
    ServerConfig config =
        TestServers.config(dir, ServerConfig.TlsMode.SELF_SIGNED, Optional.empty())
            .withKbs(
                new ServerConfig.Kbs(
                    true,
                    Duration.ofMinutes(5),
                    List.of(pem),
                    EnumSet.of(Tee.SAMPLE),
                    Optional.empty()))
            .withVerifiers(ServerConfig.Verifiers.defaults().withSample(true));
    server = VouchServer.start(config, Clock.systemUTC(), List.of());
    // what the sample attester reports, registered as known so its token is affirming
    dev.vouch.policy.rvps.Provenance p =
        new dev.vouch.policy.rvps.Provenance(
            dev.vouch.policy.rvps.Provenance.Kind.SAMPLE, null, Instant.now());
    server
        .services()
        .referenceValues()
        .putAll(
            List.of(
                new dev.vouch.policy.rvps.ReferenceValue("sample.svn", List.of("1"), p, null, null),
                new dev.vouch.policy.rvps.ReferenceValue(
                    "sample.launch_digest", List.of("ab".repeat(48)), p, null, null)));
    String auth = "Bearer " + adminToken(admin);
    String policy =
        """
        rules:
          - name: affirmed_sample
            category: sourced_data
            expr: claims["submods"]["cpu0"]["ear.status"] == "affirming"
        """;
    server
        .kbs()
        .orElseThrow()
        .setPolicy(
            Optional.of(auth),
            ("{\"policy\":\""
                    + Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(policy.getBytes(StandardCharsets.UTF_8))
                    + "\"}")
                .getBytes(StandardCharsets.UTF_8));
    server
        .kbs()
        .orElseThrow()
        .putResource(
            Optional.of(auth),
            new ResourcePath("default", "key", "demo"),
            SECRET.getBytes(StandardCharsets.UTF_8));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** An EdDSA admin JWT, signed by hand. */
  private static String adminToken(KeyPair k) throws Exception {
    Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
    String input =
        b.encodeToString("{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
            + "."
            + b.encodeToString(
                ("{\"exp\":" + Instant.now().plusSeconds(120).getEpochSecond() + "}")
                    .getBytes(StandardCharsets.UTF_8));
    Signature s = Signature.getInstance("Ed25519", Crypto.bouncyCastle());
    s.initSign(k.getPrivate());
    s.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + b.encodeToString(s.sign());
  }

  record Run(int exit, String out, String err) {}

  private static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(exit, out.toString(), err.toString());
  }

  private String url() {
    return server.baseUri().toString();
  }

  @Test
  void theSampleTeeGetsTheResourceOverTlsTrustingTheServersCertificate() {
    assertThat(url()).startsWith("https://");
    Run r =
        cli(
            "kbs",
            "get-resource",
            "--url",
            url(),
            "default/key/demo",
            "--tee",
            "sample",
            "--cacert",
            dir.resolve("tls").resolve("server.crt").toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(SECRET);
  }

  @Test
  void withoutTheCertificateTheTlsHandshakeFailsAndNothingIsReleased() {
    Run r = cli("kbs", "get-resource", "--url", url(), "default/key/demo", "--tee", "sample");
    assertThat(r.exit()).isEqualTo(3);
    assertThat(r.out()).doesNotContain(SECRET);
  }

  @Test
  void aCacertThatIsNoCertificateIsBadInput() throws Exception {
    Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate");
    Run r =
        cli(
            "kbs",
            "get-resource",
            "--url",
            url(),
            "default/key/demo",
            "--tee",
            "sample",
            "--cacert",
            junk.toString());
    assertThat(r.exit()).isEqualTo(2);
    Run missing =
        cli(
            "kbs",
            "get-resource",
            "--url",
            url(),
            "default/key/demo",
            "--tee",
            "sample",
            "--cacert",
            dir.resolve("absent.pem").toString());
    assertThat(missing.exit()).isEqualTo(2);
  }
}
