package dev.vouch.server.aas;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.vouch.policy.ear.EarAlgorithm;
import dev.vouch.server.TestServers;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.store.JdbcSigningKeys;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Every way an admin credential can be wrong is refused 401 with its own stable reason: expired,
 * revoked (token and API key), signed by a foreign key, tampered, of a disabled account; failed
 * logins are rate limited per account and per address (429 + Retry-After) and logged without the
 * password.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminTokenRefusalTest {
  private static final String PASSWORD = "refusal-password-0123";
  private static final String ROUTE = "/api/v1/hosts";
  @TempDir static Path dir;
  private VouchServer server;
  private URI base;

  @BeforeAll
  void start() throws Exception {
    server = VouchServer.start(AasTestSupport.withBootstrapPassword(TestServers.plain(dir)));
    base = server.baseUri();
    AasTestSupport.addUser(base, "ops", PASSWORD, "operator");
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private TestServers.Reply get(String bearer) {
    return AasTestSupport.send(base, "GET", ROUTE, null, null, bearer);
  }

  private static void assertRefused(TestServers.Reply r, String reason) {
    assertThat(r.status()).as(r.body()).isEqualTo(401);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.json().get("type").asText()).endsWith("/unauthorized");
    assertThat(r.json().get("reason").asText()).isEqualTo(reason);
  }

  @Test
  void acceptsAFreshTokenOfTheRightRole() {
    assertThat(get(AasTestSupport.login(base, "ops", PASSWORD)).status()).isEqualTo(200);
  }

  @Test
  void refusesAnExpiredToken() {
    // the server's own current key, a token issued two lifetimes ago
    JdbcSigningKeys keys =
        new JdbcSigningKeys(
            server.services().database(),
            server.services().sealer(),
            JdbcSigningKeys.AUTH_TABLE,
            EarAlgorithm.ES384,
            Duration.ofMinutes(15),
            Duration.ofDays(1),
            Clock.systemUTC());
    Clock past = Clock.fixed(Instant.now().minus(Duration.ofMinutes(31)), ZoneOffset.UTC);
    String old =
        new AdminTokens(keys, Duration.ofMinutes(15), past)
            .issue("ops", List.of("operator"))
            .token();
    assertRefused(get(old), "expired");
  }

  @Test
  void refusesARevokedTokenAndRevocationIsIdempotent() {
    String t = AasTestSupport.login(base, "ops", PASSWORD);
    assertThat(get(t).status()).isEqualTo(200);
    TestServers.Reply r =
        AasTestSupport.send(
            base, "POST", "/api/v1/auth/revoke", null, "{\"token\":\"" + t + "\"}", null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertRefused(get(t), "revoked");
    // revoking by bearer header, again: still revoked... but a revoked token cannot revoke
    assertThat(AasTestSupport.send(base, "POST", "/api/v1/auth/revoke", null, null, t).status())
        .isEqualTo(200);
    assertRefused(get(t), "revoked");
  }

  @Test
  void refusesATokenSignedByAForeignKey() throws Exception {
    ECKey foreign = new ECKeyGenerator(Curve.P_384).keyID("foreign").generate();
    assertRefused(get(sign(foreign, "foreign")), "unknown-key");
    // the server's kid, but not its key
    String real = AasTestSupport.login(base, "ops", PASSWORD);
    String kid = SignedJWT.parse(real).getHeader().getKeyID();
    assertRefused(get(sign(foreign, kid)), "invalid");
  }

  @Test
  void refusesATamperedToken() {
    String t = AasTestSupport.login(base, "ops", PASSWORD);
    String[] parts = t.split("\\.");
    char[] sig = parts[2].toCharArray();
    sig[10] = sig[10] == 'A' ? 'B' : 'A';
    assertRefused(get(parts[0] + "." + parts[1] + "." + new String(sig)), "invalid");
    assertRefused(get(t.substring(0, t.length() - 20)), "invalid");
    assertRefused(get("not-a-key"), "invalid");
  }

  @Test
  void refusesEveryCredentialOfADisabledAccount() {
    AasTestSupport.addUser(base, "temp", PASSWORD, "operator");
    String t = AasTestSupport.login(base, "temp", PASSWORD);
    TestServers.Reply k =
        AasTestSupport.send(
            base,
            "POST",
            "/api/v1/apikeys",
            null,
            "{\"account\":\"temp\",\"label\":\"ci\"}",
            TestServers.ADMIN);
    assertThat(k.status()).isEqualTo(201);
    String key = k.json().get("key").asText();
    assertThat(get(key).status()).isEqualTo(200);
    assertThat(
            AasTestSupport.send(
                    base, "POST", "/api/v1/users/temp/disable", null, null, TestServers.ADMIN)
                .status())
        .isEqualTo(200);
    assertRefused(get(t), "disabled");
    assertRefused(get(key), "disabled");
    TestServers.Reply login =
        AasTestSupport.send(
            base,
            "POST",
            "/api/v1/auth/token",
            null,
            "{\"username\":\"temp\",\"password\":\"" + PASSWORD + "\"}",
            null);
    assertRefused(login, "bad-credentials");
  }

  @Test
  void refusesARevokedApiKeyAndNeverListsTheKey() {
    TestServers.Reply k =
        AasTestSupport.send(
            base, "POST", "/api/v1/apikeys", null, "{\"account\":\"ops\"}", TestServers.ADMIN);
    String key = k.json().get("key").asText();
    String id = k.json().get("id").asText();
    assertThat(get(key).status()).isEqualTo(200);
    TestServers.Reply list =
        AasTestSupport.send(
            base, "GET", "/api/v1/apikeys?account=ops", null, null, TestServers.ADMIN);
    assertThat(list.body()).contains(id).doesNotContain(key);
    assertThat(
            AasTestSupport.send(
                    base, "DELETE", "/api/v1/apikeys/" + id, null, null, TestServers.ADMIN)
                .status())
        .isEqualTo(204);
    assertRefused(get(key), "revoked");
  }

  @Test
  void rateLimitsFailedLoginsAndLogsThemWithoutThePassword() {
    AasTestSupport.addUser(base, "victim", PASSWORD, "reader");
    Logger log = (Logger) LoggerFactory.getLogger(Aas.class);
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    log.addAppender(seen);
    String guess = "wrong-guess-987654321";
    try {
      TestServers.Reply last = null;
      for (int i = 0; i < LoginLimiter.FREE_FAILURES + 1; i++) {
        last =
            AasTestSupport.send(
                base,
                "POST",
                "/api/v1/auth/token",
                null,
                "{\"username\":\"victim\",\"password\":\"" + guess + i + "\"}",
                null);
      }
      assertThat(last.status()).as(last.body()).isEqualTo(429);
      assertThat(last.json().get("type").asText()).endsWith("/rate-limited");
      assertThat(last.json().get("retry_after_seconds").asLong()).isPositive();
      // the right password is refused too while the account is locked
      TestServers.Reply right =
          AasTestSupport.send(
              base,
              "POST",
              "/api/v1/auth/token",
              null,
              "{\"username\":\"victim\",\"password\":\"" + PASSWORD + "\"}",
              null);
      assertThat(right.status()).isEqualTo(429);
    } finally {
      log.detachAppender(seen);
    }
    List<String> lines = seen.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertThat(lines.stream().filter(l -> l.startsWith("login failed account=victim")))
        .hasSize(LoginLimiter.FREE_FAILURES);
    assertThat(lines).anyMatch(l -> l.contains("reason=rate-limited"));
    assertThat(String.join("\n", lines)).doesNotContain(guess).doesNotContain(PASSWORD);
  }

  private static String sign(ECKey key, String kid) throws Exception {
    Instant now = Instant.now();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES384)
                .keyID(kid)
                .type(new com.nimbusds.jose.JOSEObjectType(AdminTokens.TYPE))
                .build(),
            new JWTClaimsSet.Builder()
                .issuer(AdminTokens.ISSUER)
                .subject("admin")
                .claim("roles", List.of("admin"))
                .jwtID("forged")
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(600)))
                .build());
    jwt.sign(new ECDSASigner(key));
    return jwt.serialize();
  }
}
