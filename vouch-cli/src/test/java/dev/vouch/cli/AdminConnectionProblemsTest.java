package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.TlsCertificates;
import dev.vouch.server.http.VouchServer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin verbs tell a trust problem (the server answered with a certificate this client does not
 * trust) from a reachability problem, and take the server's certificate from {@code VOUCH_CACERT}.
 */
class AdminConnectionProblemsTest {
  @TempDir static Path dir;
  static VouchServer tls;
  static Path cert;
  static Path tokenFile;

  @BeforeAll
  static void start() throws Exception {
    Path data = dir.resolve("tls-server");
    tls =
        VouchServer.start(
            TestServers.config(data, ServerConfig.TlsMode.SELF_SIGNED, Optional.empty()));
    cert = TlsCertificates.selfSignedCert(data.toAbsolutePath());
    tokenFile = Files.writeString(dir.resolve("admin.token"), TestServers.ADMIN);
  }

  @AfterAll
  static void stop() {
    tls.close();
  }

  @Test
  void anUntrustedCertificateIsReportedAsATrustProblemWithTheFix() {
    CliRun r = CliRun.admin(tls.baseUri(), tokenFile, "host", "list");
    assertThat(r.exit()).isEqualTo(ExitCodes.INTERNAL);
    assertThat(r.err())
        .contains("error: tls-untrusted: " + tls.baseUri())
        .contains("reachable but its TLS certificate is not trusted")
        .contains("--cacert PEM or $VOUCH_CACERT")
        .doesNotContain("unreachable");
    CliRun json = CliRun.admin(tls.baseUri(), tokenFile, "host", "list", "--json");
    assertThat(json.json().path("error").path("code").asText()).isEqualTo("tls-untrusted");
  }

  @Test
  void aClosedPortIsReportedAsUnreachable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    CliRun r =
        CliRun.admin(java.net.URI.create("https://127.0.0.1:" + port), tokenFile, "host", "list");
    assertThat(r.exit()).isEqualTo(ExitCodes.INTERNAL);
    assertThat(r.err())
        .contains("error: connection-failed: https://127.0.0.1:" + port + ": unreachable");
  }

  @Test
  void theServerCertificateComesFromVouchCacertWhenNoFlagGivesIt() throws Exception {
    Process ok = cli(Optional.of(cert.toString()), "host", "list", "--json");
    String out = new String(ok.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(ok.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(ok.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(ok.exitValue()).as(err).isZero();
    assertThat(out).contains("\"hosts\"");

    // a file that is no certificate, named by the variable, is bad input that names the variable
    Process bad = cli(Optional.of(tokenFile.toString()), "host", "list");
    String badErr = new String(bad.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(bad.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(bad.exitValue()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(badErr).contains("$VOUCH_CACERT");
  }

  /** The CLI in a child JVM (the environment of this one cannot be changed). */
  private static Process cli(Optional<String> cacertEnv, String... args) throws Exception {
    List<String> cmd =
        new java.util.ArrayList<>(
            List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--server", tls.baseUri().toString(), "--token-file", tokenFile.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove(AdminOptions.CACERT_ENV);
    cacertEnv.ifPresent(v -> pb.environment().put(AdminOptions.CACERT_ENV, v));
    return pb.start();
  }
}
