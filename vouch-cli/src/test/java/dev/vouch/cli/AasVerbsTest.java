package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.TlsCertificates;
import dev.vouch.server.http.VouchServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vouch login|user|role|apikey} against a real in-process server: accounts made with the CLI
 * log in, the stored token drives later verbs with exactly the account's permissions, and bad input
 * or refusals exit 2.
 */
class AasVerbsTest {
  private static final String PASSWORD = "cli-password-0123456";
  @TempDir static Path dir;
  static VouchServer server;
  static Path tokenFile;
  static Path passwordFile;
  static String url;

  @BeforeAll
  static void start() throws Exception {
    server =
        VouchServer.start(
            TestServers.plain(dir.resolve("server"))
                .withAdmin(TestServers.adminWithPassword("bootstrap-password-0123")));
    url = server.baseUri().toString();
    tokenFile = Files.writeString(dir.resolve("admin.token"), TestServers.ADMIN + "\n");
    passwordFile = Files.writeString(dir.resolve("pw"), PASSWORD + "\n");
    System.setProperty("vouch.config.dir", dir.resolve("config").toString());
  }

  @AfterAll
  static void stop() {
    System.clearProperty("vouch.config.dir");
    server.close();
  }

  private static CliRun admin(String... args) {
    return CliRun.admin(server.baseUri(), tokenFile, args);
  }

  @Test
  void loginStoresATokenThatLaterVerbsUseWithTheAccountsPermissions() throws Exception {
    CliRun add =
        admin(
            "user",
            "add",
            "olive",
            "--roles",
            "operator",
            "--password-file",
            passwordFile.toString());
    assertThat(add.exit()).as(add.err()).isZero();
    assertThat(add.out()).contains("added olive").doesNotContain(PASSWORD);

    CliRun login =
        CliRun.of(
            "login",
            "--server",
            url,
            "--user",
            "olive",
            "--password-file",
            passwordFile.toString());
    assertThat(login.exit()).as(login.err()).isZero();
    Path stored = dir.resolve("config").resolve(StoredLogin.FILE);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stored)))
        .isEqualTo("rw-------");
    String token = StoredLogin.load().orElseThrow().token();
    assertThat(login.out()).doesNotContain(token);

    // no --server, no token: both from the stored login
    CliRun hosts = CliRun.of("host", "list", "--json");
    assertThat(hosts.exit()).as(hosts.err()).isZero();
    // an operator may not list users: 403, exit 2
    CliRun users = CliRun.of("user", "list");
    assertThat(users.exit()).isEqualTo(2);
    assertThat(users.err()).contains("forbidden");
  }

  @Test
  void loginRemembersTheCacertItTrustedASelfSignedServerWith() throws Exception {
    Path data = dir.resolve("tls-server");
    try (VouchServer tls =
        VouchServer.start(
            TestServers.config(data, ServerConfig.TlsMode.SELF_SIGNED, Optional.empty())
                .withAdmin(TestServers.adminWithPassword(PASSWORD)))) {
      String tlsUrl = tls.baseUri().toString();
      Path cert = TlsCertificates.selfSignedCert(data.toAbsolutePath());
      CliRun login =
          CliRun.of(
              "login",
              "--server",
              tlsUrl,
              "--user",
              "admin",
              "--password-file",
              passwordFile.toString(),
              "--cacert",
              cert.toString());
      assertThat(login.exit()).as(login.err()).isZero();
      CliRun hosts = CliRun.of("host", "list", "--json");
      assertThat(hosts.exit()).as(hosts.err()).isZero();
      // another server named on the command line goes with its own credential, as before
      CliRun other = CliRun.of("host", "list", "--server", url, "--token", TestServers.ADMIN);
      assertThat(other.exit()).as(other.err()).isZero();
    }
  }

  @Test
  void aWrongPasswordOrNoPasswordExits2AndStoresNothingNew() throws Exception {
    Path wrong = Files.writeString(dir.resolve("wrong"), "not-the-password-123\n");
    CliRun bad =
        CliRun.of("login", "--server", url, "--user", "admin", "--password-file", wrong.toString());
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("unauthorized");
    // no terminal in tests: no prompt, so a missing password file is bad input
    CliRun none = CliRun.of("login", "--server", url, "--user", "admin");
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err()).contains("--password-file");
  }

  @Test
  void usersRolesAndApiKeysRoundTrip() {
    CliRun role = admin("role", "put", "watcher", "--permissions", "hosts:read,reports:read");
    assertThat(role.exit()).as(role.err()).isZero();
    assertThat(admin("role", "put", "typo", "--permissions", "hosts:reed").exit()).isEqualTo(2);
    assertThat(admin("role", "delete", "admin").exit()).isEqualTo(2);
    assertThat(admin("role", "list").out()).contains("watcher").contains("policy-author");

    CliRun svc = admin("user", "add", "ci-bot", "--roles", "watcher", "--service", "--json");
    assertThat(svc.exit()).as(svc.err()).isZero();
    assertThat(svc.json().get("kind").asText()).isEqualTo("service");
    assertThat(admin("user", "add", "ghost", "--roles", "nonesuch").exit()).isEqualTo(2);

    CliRun key = admin("apikey", "create", "--account", "ci-bot", "--label", "ci", "--json");
    assertThat(key.exit()).as(key.err()).isZero();
    String secret = key.json().get("key").asText();
    String id = key.json().get("id").asText();
    CliRun asBot = CliRun.of("host", "list", "--server", url, "--token", secret);
    assertThat(asBot.exit()).as(asBot.err()).isZero();

    CliRun list = admin("apikey", "list", "--account", "ci-bot");
    assertThat(list.out()).contains(id).doesNotContain(secret);
    assertThat(admin("apikey", "revoke", id).exit()).isZero();
    CliRun revoked = CliRun.of("host", "list", "--server", url, "--token", secret);
    assertThat(revoked.exit()).isEqualTo(2);
    assertThat(revoked.err()).contains("unauthorized");

    assertThat(admin("user", "disable", "ci-bot").exit()).isZero();
    assertThat(admin("user", "list").out()).contains("ci-bot");
    assertThat(admin("user", "delete", "ci-bot").exit()).isZero();
    assertThat(admin("user", "delete", "ci-bot").exit()).isEqualTo(2);
    assertThat(admin("role", "delete", "watcher").exit()).isZero();
  }
}
