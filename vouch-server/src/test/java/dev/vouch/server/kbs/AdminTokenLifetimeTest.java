package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.crypto.Crypto;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** KBS admin JWTs may be valid for at most the configured lifetime, counted from now and iat. */
class AdminTokenLifetimeTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

  private static String token(KeyPair k, String claims) throws Exception {
    Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
    String input =
        b.encodeToString("{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
            + "."
            + b.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
    Signature s = Signature.getInstance("Ed25519", Crypto.bouncyCastle());
    s.initSign(k.getPrivate());
    s.update(input.getBytes(StandardCharsets.US_ASCII));
    return "Bearer " + input + "." + b.encodeToString(s.sign());
  }

  private long at(Duration fromNow) {
    return clock.instant().plus(fromNow).getEpochSecond();
  }

  @Test
  void aTokenWithinTheLifetimeIsAccepted() throws Exception {
    KeyPair k = KbsAdminAndPassportTest.ed25519();
    AdminAuth auth = AdminAuth.withKeys(List.of(k.getPublic()), clock);
    auth.authorize(
        Optional.of(token(k, "{\"exp\":" + at(Duration.ofMinutes(59)) + "}")), "/kbs/v0/resource");
    auth.authorize(
        Optional.of(
            token(
                k, "{\"iat\":" + at(Duration.ZERO) + ",\"exp\":" + at(Duration.ofHours(1)) + "}")),
        "/kbs/v0/resource");
  }

  @Test
  void aTokenExpiringBeyondTheLifetimeFromNowIsRefused() throws Exception {
    KeyPair k = KbsAdminAndPassportTest.ed25519();
    AdminAuth auth = AdminAuth.withKeys(List.of(k.getPublic()), clock);
    String t = token(k, "{\"exp\":" + at(Duration.ofHours(2)) + "}");
    assertThatThrownBy(() -> auth.authorize(Optional.of(t), "/kbs/v0/resource"))
        .isInstanceOfSatisfying(
            KbsError.class,
            e -> {
              assertThat(e.kind()).isEqualTo(KbsError.Kind.AdminAuthAccess);
              assertThat(e.detail()).contains("lives longer than the allowed 3600 s");
            });
  }

  @Test
  void aTokenIssuedLongBeforeItsExpiryIsRefusedEvenNearTheEnd() throws Exception {
    KeyPair k = KbsAdminAndPassportTest.ed25519();
    AdminAuth auth = AdminAuth.withKeys(List.of(k.getPublic()), clock);
    // valid for a day, presented in its last minutes: its lifetime is still a day
    String t =
        token(
            k,
            "{\"iat\":"
                + at(Duration.ofHours(-23))
                + ",\"exp\":"
                + at(Duration.ofMinutes(5))
                + "}");
    assertThatThrownBy(() -> auth.authorize(Optional.of(t), "/kbs/v0/resource"))
        .isInstanceOfSatisfying(
            KbsError.class, e -> assertThat(e.detail()).contains("lives longer"));
  }

  @Test
  void aConfiguredLifetimeReplacesTheDefault() throws Exception {
    KeyPair k = KbsAdminAndPassportTest.ed25519();
    AdminAuth shortLived = AdminAuth.withKeys(List.of(k.getPublic()), clock, Duration.ofMinutes(5));
    String t = token(k, "{\"exp\":" + at(Duration.ofMinutes(30)) + "}");
    assertThatThrownBy(() -> shortLived.authorize(Optional.of(t), "/kbs/v0/resource"))
        .isInstanceOf(KbsError.class);
    assertThatThrownBy(() -> AdminAuth.withKeys(List.of(k.getPublic()), clock, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
