package dev.vouch.policy.ear;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Vouch issues Trustee's {@code eat_profile} and accepts Veraison's EAR profile (its own earlier
 * tokens) besides; any other profile is refused.
 */
class EarProfileTest {
  private final EarTokenTest.MovableClock clock = new EarTokenTest.MovableClock();
  private final InMemorySigningKeys keys = new InMemorySigningKeys(EarAlgorithm.ES256, clock);

  /** The issued token's claims, re-signed by the same key with {@code profile}. */
  private String withProfile(String profile) throws Exception {
    EarIssuer issuer = new EarIssuer(keys, EarTokenTest.ID, Duration.ofMinutes(5), clock);
    String token =
        issuer.issue(
            Map.of("cpu0", Submod.of(EarTokenTest.appraisal(), Map.of("sample.svn", "1"))), null);
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder(SignedJWT.parse(token).getJWTClaimsSet())
            .claim(Ear.EAT_PROFILE, profile)
            .build();
    SigningKey k = keys.current();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(k.algorithm().jws())
                .type(JOSEObjectType.JWT)
                .keyID(k.kid())
                .build(),
            claims);
    jwt.sign(new ECDSASigner(k.key()));
    return jwt.serialize();
  }

  @Test
  void issuedTokensCarryTrusteesProfileAndVerify() throws Exception {
    EarIssuer issuer = new EarIssuer(keys, EarTokenTest.ID, Duration.ofMinutes(5), clock);
    String token =
        issuer.issue(
            Map.of("cpu0", Submod.of(EarTokenTest.appraisal(), Map.of("sample.svn", "1"))), null);
    assertThat(SignedJWT.parse(token).getJWTClaimsSet().getClaim("eat_profile"))
        .isEqualTo("tag:github.com,2024:confidential-containers/Trustee");
    assertThat(SignedJWT.parse(token).getJWTClaimsSet().getIssuer())
        .isEqualTo("vouch-attestation-service");
    assertThat(EarVerifier.fromJwks(keys.jwksJson(), clock).verify(token).submods())
        .containsKey("cpu0");
  }

  @Test
  void veraisonsProfileIsStillAccepted() throws Exception {
    String token = withProfile("tag:github.com,2023:veraison/ear");
    assertThat(EarVerifier.fromJwks(keys.jwksJson(), clock).verify(token).submods())
        .containsKey("cpu0");
  }

  @Test
  void anotherProfileIsRefused() throws Exception {
    String token = withProfile("tag:example.com,2025:other");
    assertThatThrownBy(() -> EarVerifier.fromJwks(keys.jwksJson(), clock).verify(token))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.UNSUPPORTED));
  }
}
