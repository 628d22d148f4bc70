package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.vouch.core.VerificationException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another attestation service's keys, served at a JWKS URL that rotates: a token of the new key is
 * refused until the refresh interval has passed and accepted after it; an endpoint that goes down
 * keeps the last keys; a file is re-read when it changes.
 */
class RefreshingJwksTest {
  @TempDir Path dir;

  /** A clock the test moves. */
  static final class Moving extends Clock {
    Instant now = Instant.parse("2026-12-07T10:00:00Z");

    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    public Clock withZone(java.time.ZoneId z) {
      return this;
    }

    public Instant instant() {
      return now;
    }
  }

  private static ECKey key(String kid) throws Exception {
    return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
  }

  /** An EAR-shaped token (the verifier checks signature, exp, and the submods claim). */
  private static String token(ECKey k, Instant now) throws Exception {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plusSeconds(300)))
            .claim("eat_profile", "tag:github.com,2023:veraison/ear")
            .claim("ear.verifier-id", java.util.Map.of("developer", "other", "build", "1"))
            .claim("submods", java.util.Map.of("cpu0", java.util.Map.of("ear.status", "affirming")))
            .build();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(k.getKeyID()).build(), claims);
    jwt.sign(new ECDSASigner(k));
    return jwt.serialize();
  }

  @Test
  void aRotatedIssuerKeyCountsAfterTheRefreshAndAnOutageKeepsTheLastKeys() throws Exception {
    Moving clock = new Moving();
    ECKey first = key("k1");
    ECKey second = key("k2");
    AtomicReference<String> served =
        new AtomicReference<>(new JWKSet(first.toPublicJWK()).toString());
    HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext(
        "/jwks",
        ex -> {
          byte[] b = served.get().getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, b.length);
          ex.getResponseBody().write(b);
          ex.close();
        });
    http.start();
    try {
      URI url = URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/jwks");
      RefreshingJwks jwks = RefreshingJwks.fromUrl(url, Duration.ofMinutes(5), clock);
      TrustedIssuers issuers = new TrustedIssuers(List.of(jwks), clock);
      issuers.verify(token(first, clock.now));

      served.set(new JWKSet(List.of(first.toPublicJWK(), second.toPublicJWK())).toString());
      String rotated = token(second, clock.now);
      assertThatThrownBy(() -> issuers.verify(rotated))
          .as("not before the refresh interval")
          .isInstanceOf(VerificationException.class);
      clock.now = clock.now.plus(Duration.ofMinutes(6));
      issuers.verify(token(second, clock.now));

      http.stop(0);
      clock.now = clock.now.plus(Duration.ofMinutes(6));
      issuers.verify(token(second, clock.now));
      assertThat(jwks.get().getKeyByKeyId("k2")).isNotNull();
    } finally {
      http.stop(0);
    }
  }

  @Test
  void aFileIsReReadWhenItChanges() throws Exception {
    Moving clock = new Moving();
    ECKey first = key("f1");
    ECKey second = key("f2");
    Path f = dir.resolve("issuer.jwks");
    Files.writeString(f, new JWKSet(first.toPublicJWK()).toString());
    Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
    RefreshingJwks jwks = RefreshingJwks.fromFile(f, Duration.ofSeconds(10), clock);
    assertThat(jwks.get().getKeyByKeyId("f1")).isNotNull();
    Files.writeString(f, new JWKSet(second.toPublicJWK()).toString());
    Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2026-01-02T00:00:00Z")));
    clock.now = clock.now.plusSeconds(11);
    assertThat(jwks.get().getKeyByKeyId("f2")).isNotNull();
    assertThat(jwks.get().getKeyByKeyId("f1")).isNull();
    // a broken rewrite keeps the last good keys
    Files.writeString(f, "{not json");
    Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2026-01-03T00:00:00Z")));
    clock.now = clock.now.plusSeconds(11);
    assertThat(jwks.get().getKeyByKeyId("f2")).isNotNull();
  }

  @Test
  void aPlainHttpUrlToARemoteHostIsRefused() {
    assertThatThrownBy(
            () ->
                RefreshingJwks.fromUrl(
                    URI.create("http://issuer.example/jwks"),
                    Duration.ofMinutes(5),
                    Clock.systemUTC()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("https");
  }
}
