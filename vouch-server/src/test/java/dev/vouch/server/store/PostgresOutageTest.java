package dev.vouch.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.server.TcpOutage;
import dev.vouch.server.TestServers;
import dev.vouch.server.TestServers.Client;
import dev.vouch.server.TestServers.Reply;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL goes away under a running server (a relay in front of it cuts every connection and
 * refuses new ones) and comes back: meanwhile requests that need the database answer 503
 * problem+json and {@code /readyz} says the database is unreachable; afterwards the server serves
 * writes again without a restart and what was written before is intact.
 */
class PostgresOutageTest {
  @TempDir Path dir;

  private static final String POLICY =
      "rules:\n  - name: r\n    category: executables\n    expr: claims[\"x\"] == \"y\"\n";

  @Test
  void theServerAnswers503DuringAnOutageAndRecoversWithoutARestart() throws Exception {
    try (TestDatabases.Handle pg = TestDatabases.postgres();
        TcpOutage relay = TcpOutage.relayTo(5432)) {
      String url = pg.url().replace(":5432/", ":" + relay.port() + "/");
      ServerConfig cfg = TestServers.config(dir, ServerConfig.TlsMode.OFF, Optional.of(url));
      try (VouchServer server = VouchServer.start(cfg)) {
        Client c = new Client(server.baseUri());
        assertThat(c.put("/api/v1/policies/before", POLICY, true).status()).isEqualTo(200);

        relay.down();
        Reply write = c.put("/api/v1/policies/during", POLICY, true);
        assertThat(write.status()).isEqualTo(503);
        assertThat(write.contentType()).startsWith("application/problem+json");
        assertThat(write.body()).doesNotContain("Exception");
        assertThat(c.get("/readyz", false).status()).isEqualTo(503);

        relay.up();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        int status = 0;
        while (Instant.now().isBefore(deadline)) {
          status = c.put("/api/v1/policies/after", POLICY, true).status();
          if (status == 200) {
            break;
          }
          Thread.sleep(250);
        }
        assertThat(status).as("writes work again after the outage").isEqualTo(200);
        assertThat(c.get("/readyz", false).status()).isEqualTo(200);
        assertThat(c.get("/api/v1/policies/before", true).json().get("latest").asInt())
            .isEqualTo(1);
        assertThat(c.get("/api/v1/policies/during", true).status()).isEqualTo(404);
      }
    }
  }
}
