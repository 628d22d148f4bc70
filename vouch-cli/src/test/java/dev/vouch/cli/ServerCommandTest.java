package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerCommandTest {
  @TempDir Path dir;

  @Test
  void anInvalidConfigurationExitsTwoAndNamesTheKey() throws Exception {
    Path cfg = Files.writeString(dir.resolve("vouch.yaml"), "http:\n  port: 99999\n");
    CliRun r =
        CliRun.of("server", "--config", cfg.toString(), "--data-dir", dir.resolve("d").toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("http.port must be in 0..65535");
  }

  @Test
  void anUnknownKeyExitsTwo() throws Exception {
    Path cfg = Files.writeString(dir.resolve("vouch.yaml"), "tls:\n  mod: off\n");
    CliRun r = CliRun.of("server", "--config", cfg.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("tls.mod");
  }

  @Test
  void aCollateralFolderThatIsNotAFolderExitsTwo() throws Exception {
    CliRun r =
        CliRun.of(
            "server",
            "--data-dir",
            dir.resolve("d").toString(),
            "--collateral",
            dir.resolve("missing").toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--collateral").contains("missing");
  }

  /**
   * A configuration error found after the data dir was initialised leaves a KEK, an admin token and
   * a database behind for a server that never ran: every check must come before the first write.
   */
  private void assertRefusedBeforeTouchingTheDataDir(String yaml, String... message)
      throws Exception {
    Path cfg = Files.writeString(dir.resolve("vouch.yaml"), yaml);
    Path data = dir.resolve("d");
    CliRun r = CliRun.of("server", "--config", cfg.toString(), "--data-dir", data.toString());
    assertThat(r.exit()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).startsWith("error: ").doesNotContain("internal error");
    for (String m : message) {
      assertThat(r.err()).contains(m);
    }
    assertThat(data).doesNotExist();
  }

  @Test
  void aNatsUrlThatIsNotAUrlExitsTwoBeforeTheDataDirIsMade() throws Exception {
    assertRefusedBeforeTouchingTheDataDir(
        "hosts:\n  nats_url: \"nats://bad host:4222\"\n", "hosts.nats_url", "bad host");
  }

  @Test
  void aNatsUrlWithAnotherSchemeExitsTwoBeforeTheDataDirIsMade() throws Exception {
    assertRefusedBeforeTouchingTheDataDir(
        "hosts:\n  nats_url: \"http://127.0.0.1:4222\"\n", "hosts.nats_url");
  }

  @Test
  void anEkRootsFileThatHoldsNoCertificateExitsTwoBeforeTheDataDirIsMade() throws Exception {
    Path roots = Files.writeString(dir.resolve("roots.pem"), "not a certificate\n");
    assertRefusedBeforeTouchingTheDataDir(
        "registrar:\n  ek_roots: [" + roots + "]\n", "registrar.ek_roots", "roots.pem");
  }

  @Test
  void anUnreadableEkRootsFileExitsTwoBeforeTheDataDirIsMade() throws Exception {
    assertRefusedBeforeTouchingTheDataDir(
        "registrar:\n  ek_roots: [" + dir.resolve("missing.pem") + "]\n",
        "registrar.ek_roots",
        "missing.pem");
  }

  @Test
  void aFlavorTemplateThatDoesNotParseExitsTwoBeforeTheDataDirIsMade() throws Exception {
    Path t = Files.writeString(dir.resolve("template.json"), "{\"label\":");
    assertRefusedBeforeTouchingTheDataDir(
        "hosts:\n  flavor_template_files: [" + t + "]\n", "hosts.flavor_template_files");
  }

  @Test
  void aWebhookWithoutAReadableSecretExitsTwoBeforeTheDataDirIsMade() throws Exception {
    assertRefusedBeforeTouchingTheDataDir(
        "hosts:\n  webhook_url: \"https://127.0.0.1:9/hook\"\n  webhook_secret_file: "
            + dir.resolve("no-secret")
            + "\n",
        "webhook_secret_file");
  }

  @Test
  void aTokenCertificateChainNotMatchingItsKeyExitsTwoBeforeTheDataDirIsMade() throws Exception {
    dev.vouch.server.TokenCa ca = dev.vouch.server.TokenCa.make(dir);
    assertRefusedBeforeTouchingTheDataDir(
        "tokens:\n  x5c_ca_cert_file: "
            + ca.caCert()
            + "\n  x5c_ca_key_file: "
            + ca.rootKey()
            + "\n",
        "tokens.x5c_ca_cert_file",
        "does not match");
  }
}
