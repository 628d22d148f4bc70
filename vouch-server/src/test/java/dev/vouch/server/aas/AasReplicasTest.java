package dev.vouch.server.aas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.manager.MutableClock;
import dev.vouch.server.store.TestDatabases;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas on one PostgreSQL database (and one KEK) share users, custom roles, token keys and
 * revocations: what one replica records, the other enforces on its next request.
 */
class AasReplicasTest {
  private static final String PASSWORD = "replica-password-0123";
  @TempDir Path dir;

  @Test
  void replicasShareUsersRolesTokensAndRevocations() throws Exception {
    byte[] kek = new byte[32];
    new SecureRandom().nextBytes(kek);
    String sharedKek = Base64.getEncoder().encodeToString(kek);
    try (TestDatabases.Handle db = TestDatabases.postgres();
        VouchServer a = VouchServer.start(config("a", db, sharedKek));
        VouchServer b = VouchServer.start(config("b", db, sharedKek))) {
      URI ua = a.baseUri();
      URI ub = b.baseUri();
      // one bootstrap admin for both: B found A's and created none
      assertThat(AasTestSupport.login(ub, "admin", AasTestSupport.BOOTSTRAP_PASSWORD)).isNotBlank();

      // a custom role made on B, a user holding it made on A
      TestServers.Reply role =
          AasTestSupport.send(
              ub,
              "PUT",
              "/api/v1/roles/host-viewer",
              null,
              "{\"permissions\":[\"hosts:read\"]}",
              TestServers.ADMIN);
      assertThat(role.status()).as(role.body()).isEqualTo(200);
      AasTestSupport.addUser(ua, "viewer", PASSWORD, "host-viewer");

      // a token from B works on A, for exactly the custom role's permission
      String t = AasTestSupport.login(ub, "viewer", PASSWORD);
      assertThat(AasTestSupport.send(ua, "GET", "/api/v1/hosts", null, null, t).status())
          .isEqualTo(200);
      assertThat(AasTestSupport.send(ua, "GET", "/api/v1/policies", null, null, t).status())
          .isEqualTo(403);

      // a role change on A counts on B at once
      AasTestSupport.send(
          ua,
          "PUT",
          "/api/v1/roles/host-viewer",
          null,
          "{\"permissions\":[\"hosts:read\",\"policies:read\"]}",
          TestServers.ADMIN);
      assertThat(AasTestSupport.send(ub, "GET", "/api/v1/policies", null, null, t).status())
          .isEqualTo(200);

      // revoked on A, refused on B
      assertThat(AasTestSupport.send(ua, "POST", "/api/v1/auth/revoke", null, null, t).status())
          .isEqualTo(200);
      TestServers.Reply refused = AasTestSupport.send(ub, "GET", "/api/v1/hosts", null, null, t);
      assertThat(refused.status()).isEqualTo(401);
      assertThat(refused.json().get("reason").asText()).isEqualTo("revoked");

      // disabled on B, refused on A
      String t2 = AasTestSupport.login(ua, "viewer", PASSWORD);
      assertThat(
              AasTestSupport.send(
                      ub, "POST", "/api/v1/users/viewer/disable", null, null, TestServers.ADMIN)
                  .status())
          .isEqualTo(200);
      TestServers.Reply disabled = AasTestSupport.send(ua, "GET", "/api/v1/hosts", null, null, t2);
      assertThat(disabled.status()).isEqualTo(401);
      assertThat(disabled.json().get("reason").asText()).isEqualTo("disabled");
    }
  }

  @Test
  void failedLoginsOnOneReplicaLockTheAccountOnTheOther() throws Exception {
    byte[] kek = new byte[32];
    new SecureRandom().nextBytes(kek);
    String sharedKek = Base64.getEncoder().encodeToString(kek);
    // one frozen clock for both replicas: lockouts end when the test moves it, not on timing
    MutableClock clock = new MutableClock(java.time.Instant.now());
    try (TestDatabases.Handle db = TestDatabases.postgres();
        VouchServer a = VouchServer.start(config("a", db, sharedKek), clock, List.of());
        VouchServer b = VouchServer.start(config("b", db, sharedKek), clock, List.of())) {
      AasTestSupport.addUser(a.baseUri(), "victim", PASSWORD, "reader");
      // the free failures spread over both replicas still add up to one lockout
      for (int i = 0; i < LoginLimiter.FREE_FAILURES; i++) {
        VouchServer r = i % 2 == 0 ? a : b;
        assertThat(login(r, "victim", "wrong-password-" + i).status()).isEqualTo(401);
      }
      for (VouchServer r : List.of(a, b)) {
        TestServers.Reply locked = login(r, "victim", PASSWORD);
        assertThat(locked.status()).as(locked.body()).isEqualTo(429);
        assertThat(locked.body()).contains("rate-limited");
      }
      // after the lockout the right password works on either, and clears the count everywhere
      clock.advance(java.time.Duration.ofSeconds(2));
      assertThat(login(b, "victim", PASSWORD).status()).isEqualTo(200);
      assertThat(login(a, "victim", "wrong-again").status()).isEqualTo(401);
      assertThat(login(b, "victim", PASSWORD).status()).isEqualTo(200);
    }
  }

  private static TestServers.Reply login(VouchServer s, String user, String password) {
    return AasTestSupport.send(
        s.baseUri(),
        "POST",
        "/api/v1/auth/token",
        null,
        "{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}",
        null);
  }

  private ServerConfig config(String name, TestDatabases.Handle db, String kek) {
    ServerConfig c =
        AasTestSupport.withBootstrapPassword(
            TestServers.config(dir.resolve(name), ServerConfig.TlsMode.OFF, Optional.of(db.url())));
    ServerConfig.Storage s = c.storage();
    return c.withStorage(
        new ServerConfig.Storage(
            s.jdbcUrl(), s.username(), s.password(), 4, Optional.empty(), Optional.of(kek)));
  }
}
