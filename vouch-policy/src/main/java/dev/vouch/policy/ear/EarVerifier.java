package dev.vouch.policy.ear;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.policy.Category;
import dev.vouch.policy.Tier;
import dev.vouch.policy.TrustVector;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Verifies EAR tokens against a JWKS, as a relying party (the KBS in passport mode) does. Accepts
 * only ES256 with P-256 keys and ES384 with P-384 keys from the given set; keys in the token's
 * header are ignored. Allows one minute of clock skew.
 *
 * <p>Failures: {@link Failure#MALFORMED} (not a JWT, bad claims), {@link Failure#UNSUPPORTED}
 * (algorithm, profile), {@link Failure#KEY_MISMATCH} (kid not in the JWKS), {@link
 * Failure#SIGNATURE_INVALID}, {@link Failure#TOKEN_EXPIRED}, {@link Failure#NONCE_MISMATCH}.
 */
public final class EarVerifier {
  private static final Duration SKEW = Duration.ofMinutes(1);
  private static final int MAX_TOKEN_CHARS = 1 << 20;

  private final List<ECKey> keys;
  private final Clock clock;

  public EarVerifier(JWKSet jwks, Clock clock) {
    List<ECKey> ec = new ArrayList<>();
    for (JWK k : jwks.getKeys()) {
      if (k instanceof ECKey e) {
        ec.add(e.toPublicJWK());
      }
    }
    this.keys = List.copyOf(ec);
    this.clock = clock;
  }

  /**
   * A verifier for the keys of a JWKS document.
   *
   * @throws IllegalArgumentException when the text is not a JWKS
   */
  public static EarVerifier fromJwks(String jwks, Clock clock) {
    try {
      return new EarVerifier(JWKSet.parse(jwks), clock);
    } catch (ParseException e) {
      throw new IllegalArgumentException("not a JWKS document: " + e.getMessage(), e);
    }
  }

  /** Verifies a token and checks that its {@code eat_nonce} equals the expected one. */
  public AttestationResult verify(String token, String expectedNonce) throws VerificationException {
    AttestationResult r = verify(token);
    if (!expectedNonce.equals(r.nonce())) {
      throw new VerificationException(
          Failure.NONCE_MISMATCH, "token nonce differs from the expected nonce");
    }
    return r;
  }

  /** Verifies signature, validity window and shape, and returns the content. */
  public AttestationResult verify(String token) throws VerificationException {
    if (token.length() > MAX_TOKEN_CHARS) {
      throw new VerificationException(Failure.MALFORMED, "token is too large");
    }
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(token);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new VerificationException(Failure.MALFORMED, "not a signed JWT: " + e.getMessage());
    }
    JWSHeader h = jwt.getHeader();
    Curve curve;
    if (JWSAlgorithm.ES256.equals(h.getAlgorithm())) {
      curve = Curve.P_256;
    } else if (JWSAlgorithm.ES384.equals(h.getAlgorithm())) {
      curve = Curve.P_384;
    } else {
      throw new VerificationException(
          Failure.UNSUPPORTED, "token algorithm " + h.getAlgorithm() + " (accepted: ES256, ES384)");
    }
    if (h.getCriticalParams() != null && !h.getCriticalParams().isEmpty()) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "critical header " + h.getCriticalParams());
    }
    ECKey key = null;
    for (ECKey k : keys) {
      if (curve.equals(k.getCurve()) && h.getKeyID() != null && h.getKeyID().equals(k.getKeyID())) {
        key = k;
      }
    }
    if (key == null) {
      throw new VerificationException(
          Failure.KEY_MISMATCH,
          "no " + h.getAlgorithm() + " key with kid '" + h.getKeyID() + "' in the JWKS");
    }
    try {
      ECDSAVerifier v = new ECDSAVerifier(key);
      v.getJCAContext().setProvider(Crypto.bouncyCastle());
      if (!jwt.verify(v)) {
        throw new VerificationException(
            Failure.SIGNATURE_INVALID, "token signature does not verify");
      }
    } catch (JOSEException e) {
      throw new VerificationException(
          Failure.SIGNATURE_INVALID, "token signature cannot be verified: " + e.getMessage());
    }
    Instant now = clock.instant();
    if (claims.getExpirationTime() == null || claims.getIssueTime() == null) {
      throw new VerificationException(Failure.MALFORMED, "token lacks exp or iat");
    }
    Instant exp = claims.getExpirationTime().toInstant();
    Instant iat = claims.getIssueTime().toInstant();
    if (!now.minus(SKEW).isBefore(exp)) {
      throw new VerificationException(Failure.TOKEN_EXPIRED, "token expired at " + exp);
    }
    if (iat.isAfter(now.plus(SKEW))) {
      throw new VerificationException(Failure.TOKEN_EXPIRED, "token issued in the future: " + iat);
    }
    Object profile = claims.getClaim(Ear.EAT_PROFILE);
    if (!Ear.PROFILE.equals(profile) && !Ear.TRUSTEE_PROFILE.equals(profile)) {
      throw new VerificationException(Failure.UNSUPPORTED, "eat_profile " + profile);
    }
    return new AttestationResult(
        key.getKeyID(), iat, exp, nonce(claims), verifierId(claims), submods(claims));
  }

  private static String nonce(JWTClaimsSet c) throws VerificationException {
    Object n = c.getClaim(Ear.NONCE);
    if (n != null && !(n instanceof String)) {
      throw new VerificationException(Failure.MALFORMED, "eat_nonce must be text");
    }
    return (String) n;
  }

  private static VerifierId verifierId(JWTClaimsSet c) throws VerificationException {
    if (!(c.getClaim(Ear.VERIFIER_ID) instanceof Map<?, ?> m)
        || !(m.get("developer") instanceof String dev)
        || !(m.get("build") instanceof String build)) {
      throw new VerificationException(
          Failure.MALFORMED, "ear.verifier-id must have developer and build");
    }
    return new VerifierId(dev, build);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, AttestationResult.Appraised> submods(JWTClaimsSet c)
      throws VerificationException {
    if (!(c.getClaim(Ear.SUBMODS) instanceof Map<?, ?> subs) || subs.isEmpty()) {
      throw new VerificationException(Failure.MALFORMED, "token has no submods");
    }
    Map<String, AttestationResult.Appraised> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : subs.entrySet()) {
      String name = String.valueOf(e.getKey());
      if (!(e.getValue() instanceof Map<?, ?> s)) {
        throw new VerificationException(Failure.MALFORMED, "submod " + name + " is not an object");
      }
      Tier status =
          s.get(Ear.STATUS) instanceof String st
              ? Tier.fromName(st)
                  .orElseThrow(
                      () -> new VerificationException(Failure.MALFORMED, "ear.status " + st))
              : null;
      if (status == null) {
        throw new VerificationException(Failure.MALFORMED, "submod " + name + " has no ear.status");
      }
      EnumMap<Category, Integer> vector = new EnumMap<>(Category.class);
      if (s.get(Ear.TRUST_VECTOR) instanceof Map<?, ?> tv) {
        for (Map.Entry<?, ?> v : tv.entrySet()) {
          Category cat =
              Category.fromName(String.valueOf(v.getKey()))
                  .orElseThrow(
                      () ->
                          new VerificationException(
                              Failure.MALFORMED, "unknown trust vector claim " + v.getKey()));
          if (!(v.getValue() instanceof Number n) || n.longValue() < -128 || n.longValue() > 127) {
            throw new VerificationException(
                Failure.MALFORMED, "trust vector claim " + v.getKey() + " is not an i8");
          }
          vector.put(cat, n.intValue());
        }
      }
      Object policy = s.get(Ear.POLICY_ID);
      Object evidence = s.get(Ear.ANNOTATED_EVIDENCE);
      out.put(
          name,
          new AttestationResult.Appraised(
              status,
              new TrustVector(vector),
              policy == null ? null : String.valueOf(policy),
              evidence instanceof Map<?, ?> ev ? (Map<String, Object>) ev : Map.of()));
    }
    return out;
  }
}
