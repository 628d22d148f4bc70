package dev.vouch.policy.ear;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.policy.Appraisal;
import dev.vouch.policy.Category;
import dev.vouch.policy.DefaultPolicies;
import dev.vouch.policy.PolicyEngine;
import dev.vouch.policy.Tier;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class EarTokenTest {
  static final Instant T0 = Instant.parse("2026-11-24T12:00:00Z");
  static final VerifierId ID = new VerifierId("https://vouch.dev", "vouch 0.1.0");

  /** A clock the test moves. */
  static final class MovableClock extends Clock {
    final AtomicReference<Instant> now = new AtomicReference<>(T0);

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    void advance(Duration d) {
      now.updateAndGet(i -> i.plus(d));
    }
  }

  static Appraisal appraisal() {
    Map<String, Object> claims = Map.of("cca.realm.rim", "aa");
    return PolicyEngine.evaluate(
        DefaultPolicies.load("cca"), claims, Map.of("cca.realm.rim", List.of("aa")), Map.of());
  }

  @Test
  void anIssuedTokenVerifiesIndependentlyFromTheJwksJsonAlone() throws Exception {
    MovableClock clock = new MovableClock();
    InMemorySigningKeys keys = new InMemorySigningKeys(EarAlgorithm.ES256, clock);
    EarIssuer issuer = new EarIssuer(keys, ID, Duration.ofMinutes(5), clock);
    Map<String, Object> claims = Map.of("cca.realm.rim", "aa");
    String token = issuer.issue(Map.of("cca", Submod.of(appraisal(), claims)), "n0nce");

    // independent path: Nimbus only, from the published JSON, no Vouch classes
    String jwksJson = keys.jwksJson();
    assertThat(jwksJson).doesNotContain("\"d\"");
    SignedJWT jwt = SignedJWT.parse(token);
    ECKey key = (ECKey) JWKSet.parse(jwksJson).getKeyByKeyId(jwt.getHeader().getKeyID());
    assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("ES256");
    // the header's jwk is the published key, public half only
    assertThat(jwt.getHeader().getJWK().toJSONObject()).isEqualTo(key.toJSONObject());
    assertThat(jwt.getHeader().getJWK().isPrivate()).isFalse();
    assertThat(jwt.verify(new ECDSAVerifier(key))).isTrue();
    Map<String, Object> c = jwt.getJWTClaimsSet().getClaims();
    assertThat(c)
        .containsEntry("eat_profile", "tag:github.com,2024:confidential-containers/Trustee")
        .containsEntry("iss", "vouch-attestation-service")
        .containsEntry("eat_nonce", "n0nce")
        .containsKeys("iat", "exp", "ear.verifier-id");
    @SuppressWarnings("unchecked")
    Map<String, Object> sub =
        (Map<String, Object>) ((Map<String, Object>) c.get("submods")).get("cca");
    assertThat(sub)
        .containsEntry("ear.status", "affirming")
        .containsEntry("ear.appraisal-policy-id", "default-cca");
    assertThat(asMap(sub.get("ear.trustworthiness-vector")))
        .containsEntry("executables", 2L)
        .containsEntry("instance-identity", 0L);
    assertThat(asMap(sub.get("ear.veraison.annotated-evidence")))
        .containsEntry("cca.realm.rim", "aa");
    assertThat(jwt.getJWTClaimsSet().getExpirationTime().toInstant())
        .isEqualTo(T0.plus(Duration.ofMinutes(5)));
  }

  @Test
  void jsonTreesInTheAnnotatedEvidenceAppearAsPlainJsonInTheToken() throws Exception {
    MovableClock clock = new MovableClock();
    InMemorySigningKeys keys = new InMemorySigningKeys(EarAlgorithm.ES256, clock);
    EarIssuer issuer = new EarIssuer(keys, ID, Duration.ofMinutes(5), clock);
    var runtimeData =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree("{\"nonce\":\"abc\",\"tee-pubkey\":{\"kty\":\"EC\",\"crv\":\"P-256\"}}");
    Map<String, Object> claims = Map.of("cca.realm.rim", "aa", "runtime_data_claims", runtimeData);
    String token = issuer.issue(Map.of("cca", Submod.of(appraisal(), claims)), null);

    // read the payload as text, as a relying party in any language would
    String payload =
        new String(
            java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]),
            java.nio.charset.StandardCharsets.UTF_8);
    var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(payload);
    var rd =
        tree.path("submods")
            .path("cca")
            .path("ear.veraison.annotated-evidence")
            .path("runtime_data_claims");
    assertThat(rd.path("nonce").asText()).isEqualTo("abc");
    assertThat(rd.path("tee-pubkey").path("kty").asText()).isEqualTo("EC");
    assertThat(payload).doesNotContain("_children").doesNotContain("_nodeFactory");
  }

  @Test
  void theEarVerifierReadsBackWhatWasIssued() throws Exception {
    MovableClock clock = new MovableClock();
    InMemorySigningKeys keys = new InMemorySigningKeys(EarAlgorithm.ES384, clock);
    EarIssuer issuer = new EarIssuer(keys, ID, Duration.ofMinutes(5), clock);
    String token =
        issuer.issue(Map.of("cca", Submod.of(appraisal(), Map.of("cca.realm.rim", "aa"))), "n");
    AttestationResult r = EarVerifier.fromJwks(keys.jwksJson(), clock).verify(token, "n");
    assertThat(r.status()).isEqualTo(Tier.AFFIRMING);
    assertThat(r.verifierId()).isEqualTo(ID);
    assertThat(r.kid()).isEqualTo(keys.current().kid());
    assertThat(r.submods().get("cca").trustVector().get(Category.EXECUTABLES)).isEqualTo(2);
    assertThat(r.submods().get("cca").policyId()).isEqualTo("default-cca");
    assertThat(SignedJWT.parse(token).getHeader().getAlgorithm().getName()).isEqualTo("ES384");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> asMap(Object o) {
    return (Map<String, Object>) o;
  }

  static Failure failure(EarVerifier v, String token) {
    try {
      v.verify(token);
    } catch (VerificationException e) {
      return e.failure();
    }
    throw new AssertionError("verified");
  }

  @Test
  void expiredTamperedForeignAndWrongNonceTokensAreRefused() throws Exception {
    MovableClock clock = new MovableClock();
    InMemorySigningKeys keys = new InMemorySigningKeys(EarAlgorithm.ES256, clock);
    EarIssuer issuer = new EarIssuer(keys, ID, Duration.ofMinutes(5), clock);
    String token = issuer.issue(Map.of("cca", Submod.of(appraisal(), Map.of())), "n");
    EarVerifier v = EarVerifier.fromJwks(keys.jwksJson(), clock);

    String[] p = token.split("\\.");
    String payload =
        new String(java.util.Base64.getUrlDecoder().decode(p[1])).replace("affirming", "warning!!");
    String tampered =
        p[0]
            + "."
            + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes())
            + "."
            + p[2];
    assertThat(failure(v, tampered)).isEqualTo(Failure.SIGNATURE_INVALID);

    InMemorySigningKeys other = new InMemorySigningKeys(EarAlgorithm.ES256, clock);
    assertThat(failure(EarVerifier.fromJwks(other.jwksJson(), clock), token))
        .isEqualTo(Failure.KEY_MISMATCH);

    assertThatThrownBy(() -> v.verify(token, "other"))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.NONCE_MISMATCH));

    assertThat(failure(v, "not.a.token")).isEqualTo(Failure.MALFORMED);

    clock.advance(Duration.ofMinutes(7));
    assertThat(failure(v, token)).isEqualTo(Failure.TOKEN_EXPIRED);
  }

  @Test
  void rotationKeepsOldKeysPublishedUntilRetired() throws Exception {
    MovableClock clock = new MovableClock();
    InMemorySigningKeys keys = new InMemorySigningKeys(EarAlgorithm.ES256, clock);
    Duration lifetime = Duration.ofMinutes(5);
    EarIssuer issuer = new EarIssuer(keys, ID, lifetime, clock);
    String before = issuer.issue(Map.of("cca", Submod.of(appraisal(), Map.of())), null);
    String oldKid = keys.current().kid();

    clock.advance(Duration.ofMinutes(1));
    SigningKey fresh = keys.rotate();
    assertThat(fresh.kid()).isNotEqualTo(oldKid);
    String after = issuer.issue(Map.of("cca", Submod.of(appraisal(), Map.of())), null);
    assertThat(SignedJWT.parse(after).getHeader().getKeyID()).isEqualTo(fresh.kid());

    EarVerifier v = EarVerifier.fromJwks(keys.jwksJson(), clock);
    assertThat(v.verify(before).kid()).isEqualTo(oldKid);
    assertThat(v.verify(after).kid()).isEqualTo(fresh.kid());

    // tokens of the old key live until 5 minutes after it was superseded
    assertThat(keys.retireBefore(clock.instant().minus(lifetime))).isZero();
    assertThat(keys.published()).hasSize(2);
    clock.advance(Duration.ofMinutes(6));
    assertThat(keys.retireBefore(clock.instant().minus(lifetime))).isEqualTo(1);
    assertThat(keys.published()).extracting(SigningKey::kid).containsExactly(fresh.kid());
    assertThat(JWKSet.parse(keys.jwksJson()).getKeyByKeyId(oldKid)).isNull();
  }

  @Test
  void keysNeverPrintTheirPrivateHalf() {
    InMemorySigningKeys keys = new InMemorySigningKeys(EarAlgorithm.ES256, Clock.systemUTC());
    assertThat(keys.current().toString()).doesNotContain(keys.current().key().getD().toString());
  }
}
