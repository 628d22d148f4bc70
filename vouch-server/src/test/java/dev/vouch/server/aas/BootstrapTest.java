package dev.vouch.server.aas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.server.TestServers;
import dev.vouch.server.http.VouchServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * First start without a configured password: the administrator's generated password is written once
 * to {@code DATA_DIR/admin-password} (0600), works for login, and a restart neither rewrites it nor
 * creates a second administrator; the old admin token works throughout.
 */
class BootstrapTest {
  @TempDir Path dir;

  @Test
  void writesAGeneratedPasswordOnceAndKeepsItAcrossRestarts() throws Exception {
    Path file = dir.resolve(Aas.PASSWORD_FILE);
    String password;
    try (VouchServer s = VouchServer.start(TestServers.plain(dir))) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .isEqualTo("rw-------");
      password = Files.readString(file).strip();
      assertThat(password).hasSizeGreaterThanOrEqualTo(PasswordHash.MIN_PASSWORD_CHARS);
      assertThat(AasTestSupport.login(s.baseUri(), "admin", password)).isNotBlank();
    }
    long written = Files.getLastModifiedTime(file).toMillis();
    try (VouchServer s = VouchServer.start(TestServers.plain(dir))) {
      assertThat(Files.readString(file).strip()).isEqualTo(password);
      assertThat(Files.getLastModifiedTime(file).toMillis()).isEqualTo(written);
      assertThat(AasTestSupport.login(s.baseUri(), "admin", password)).isNotBlank();
      TestServers.Reply users =
          AasTestSupport.send(s.baseUri(), "GET", "/api/v1/users", null, null, TestServers.ADMIN);
      assertThat(users.status()).isEqualTo(200);
      assertThat(users.json().get("users")).hasSize(1);
      // one bootstrap key for the one admin token, however often the server starts
      TestServers.Reply keys =
          AasTestSupport.send(s.baseUri(), "GET", "/api/v1/apikeys", null, null, TestServers.ADMIN);
      assertThat(keys.json().get("apikeys")).hasSize(1);
    }
  }
}
