package dev.vouch.server.kbs;

import static dev.vouch.server.kbs.KbsProtocolTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import dev.vouch.policy.ear.EarVerifier;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Clocks that disagree and clocks that jump, with the real KBS on both sides (injected clocks): an
 * attestation service issues an EAR token (5 minutes) and a relying KBS in passport mode, on its
 * own clock, releases a resource on it. Documented behaviour: one minute of skew is allowed either
 * way; beyond it a token is refused with {@code TOKEN_EXPIRED}, both when it has expired and when
 * it was issued in the relying party's future; a jump back into the window makes the same token
 * good again (nothing is cached from a refusal); a session token expires by the KBS's own clock.
 */
class ServerClockJumpTest {
  private static final String PATH = "/kbs/v0/resource/default/key/luks";

  @Test
  void passportTokensFollowTheRelyingPartysClockWithinOneMinuteOfSkew() throws Exception {
    try (KbsHarness issuer = KbsHarness.sample()) {
      DocClient c = new DocClient(issuer.url());
      c.auth("sample");
      JWK key = DocClient.ecKey(Curve.P_256);
      String token = DocClient.json(c.attest(key)).get("token").asText();
      Optional<String> bearer = Optional.of("Bearer " + token);

      MutableClock relyingClock = new MutableClock(issuer.clock.instant());
      TokenVerifier verifier =
          new JwksTokenVerifier(EarVerifier.fromJwks(issuer.backend.jwks(), relyingClock));
      try (KbsHarness relying =
          new KbsHarness(
              KbsHarness.testConfig(), Optional.of(verifier), AdminAuth.denyAll(), false)) {
        relying.resources.put(
            new ResourcePath("default", "key", "luks"), KbsProtocolTest.SECRET.getBytes());
        DocClient other = new DocClient(relying.url());

        // the relying party's clock is behind the issuer's: within the skew, then beyond it
        relyingClock.advance(Duration.ofSeconds(-50));
        assertReleased(other.get(PATH, bearer));
        relyingClock.advance(Duration.ofSeconds(-20));
        assertError(other.get(PATH, bearer), 401, "TokenVerifierError", "TOKEN_EXPIRED");
        assertError(other.get(PATH, bearer), 401, "TokenVerifierError", "issued in the future");

        // it jumps forward past the token's expiry plus the skew, then back inside the lifetime
        relyingClock.advance(Duration.ofSeconds(70).plus(Duration.ofMinutes(6)).plusSeconds(1));
        assertError(other.get(PATH, bearer), 401, "TokenVerifierError", "TOKEN_EXPIRED");
        relyingClock.advance(Duration.ofMinutes(-3));
        assertReleased(other.get(PATH, bearer));
      }

      // the attesting KBS's attested session ends by its own clock
      issuer.resources.put(
          new ResourcePath("default", "key", "luks"), KbsProtocolTest.SECRET.getBytes());
      assertReleased(c.resource("default/key/luks"));
      issuer.clock.advance(Duration.ofMinutes(5).plusSeconds(1));
      assertError(c.resource("default/key/luks"), 401, "TokenNotFound", "expired");
    }
  }

  private static void assertReleased(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }
}
