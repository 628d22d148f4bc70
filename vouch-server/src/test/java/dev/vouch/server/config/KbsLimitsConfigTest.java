package dev.vouch.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KBS's flood limits in the configuration file and environment. */
class KbsLimitsConfigTest {
  @TempDir Path dir;

  private ServerConfig load(String yaml, Map<String, String> env) throws Exception {
    Path f = Files.writeString(dir.resolve("vouch.yaml"), yaml);
    return ConfigLoader.load(Optional.of(f), env, Optional.empty(), Optional.empty());
  }

  @Test
  void defaultsLimitEachClientAndBoundUnattestedSessions() throws Exception {
    ServerConfig.Kbs k = load("kbs:\n  enabled: true\n", Map.of()).kbs();
    assertThat(k.authLimit()).isEqualTo(new ServerConfig.RateLimit(10, 50));
    assertThat(k.attestLimit()).isEqualTo(new ServerConfig.RateLimit(10, 50));
    assertThat(k.maxUnattestedSessions()).isEqualTo(10_000);
    assertThat(k.adminTokenMaxLifetime()).isEqualTo(java.time.Duration.ofHours(1));
  }

  @Test
  void theAdminTokenLifetimeIsConfigurableWithinBounds() throws Exception {
    assertThat(
            load("kbs:\n  admin_token_max_lifetime_seconds: 300\n", Map.of())
                .kbs()
                .adminTokenMaxLifetime())
        .isEqualTo(java.time.Duration.ofMinutes(5));
    assertThatThrownBy(() -> load("kbs:\n  admin_token_max_lifetime_seconds: 10\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kbs.admin_token_max_lifetime_seconds");
  }

  @Test
  void theFileAndTheEnvironmentSetTheLimits() throws Exception {
    ServerConfig.Kbs k =
        load(
                "kbs:\n  auth_rate_per_second: 0\n  auth_burst: 7\n  attest_rate_per_second: 3\n"
                    + "  max_unattested_sessions: 500\n",
                Map.of("VOUCH_KBS_ATTEST_BURST", "9"))
            .kbs();
    assertThat(k.authLimit()).isEqualTo(new ServerConfig.RateLimit(0, 7));
    assertThat(k.attestLimit()).isEqualTo(new ServerConfig.RateLimit(3, 9));
    assertThat(k.maxUnattestedSessions()).isEqualTo(500);
  }

  @Test
  void aBoundOfNoSessionsOrANegativeRateIsRefused() {
    assertThatThrownBy(() -> load("kbs:\n  max_unattested_sessions: 0\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kbs.max_unattested_sessions");
    assertThatThrownBy(() -> load("kbs:\n  auth_rate_per_second: -1\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kbs.auth_rate_per_second");
    assertThatThrownBy(() -> load("kbs:\n  attest_burst: 0\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kbs.attest_burst");
  }
}
