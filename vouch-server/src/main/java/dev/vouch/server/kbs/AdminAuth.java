package dev.vouch.server.kbs;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.vouch.core.crypto.Crypto;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Authenticates the KBS admin API as Trustee's "Simple" admin mode does: {@code Authorization:
 * Bearer <JWT>} signed by one of the configured keys. Ed25519 keys verify {@code EdDSA} tokens,
 * P-256 and P-384 keys verify {@code ES256} and {@code ES384}. The token must carry {@code exp}
 * (one minute of skew allowed) and no {@code iat} in the future, and may live at most {@link
 * #DEFAULT_MAX_LIFETIME} (or the configured maximum): {@code exp} no further than that from now,
 * and from {@code iat} when it is given, so a leaked admin token stops working soon. With no keys
 * configured every admin request is refused. With an {@link AdminAcl} (Trustee v0.21's {@code
 * regex_acl}) the token must also carry a string {@code role} claim that some rule allows for the
 * request path; without one, any valid token may use every admin endpoint. Thread-safe.
 */
public final class AdminAuth {
  private static final Duration SKEW = Duration.ofMinutes(1);
  private static final int MAX_TOKEN_CHARS = 16 * 1024;

  /** The longest an admin token may be valid unless configured otherwise: one hour. */
  public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofHours(1);

  private final List<PublicKey> keys;
  private final Clock clock;
  private final Duration maxLifetime;
  private final AdminAcl acl;

  private AdminAuth(List<PublicKey> keys, Clock clock, Duration maxLifetime, AdminAcl acl) {
    this.keys = List.copyOf(keys);
    this.clock = clock;
    this.acl = java.util.Objects.requireNonNull(acl);
    if (maxLifetime.isNegative() || maxLifetime.isZero()) {
      throw new IllegalArgumentException("the admin token lifetime must be positive");
    }
    this.maxLifetime = maxLifetime;
  }

  /** Refuses every admin request. */
  public static AdminAuth denyAll() {
    return new AdminAuth(List.of(), Clock.systemUTC(), DEFAULT_MAX_LIFETIME, AdminAcl.none());
  }

  /**
   * Accepts tokens signed by any of these keys (Ed25519, or EC P-256/P-384).
   *
   * @throws IllegalArgumentException for another key type or curve
   */
  public static AdminAuth withKeys(List<PublicKey> keys, Clock clock) {
    return withKeys(keys, clock, DEFAULT_MAX_LIFETIME);
  }

  /**
   * Accepts tokens signed by any of these keys that are valid for at most {@code maxLifetime}.
   *
   * @throws IllegalArgumentException for another key type or curve, or a lifetime that is not
   *     positive
   */
  public static AdminAuth withKeys(List<PublicKey> keys, Clock clock, Duration maxLifetime) {
    return withKeys(keys, clock, maxLifetime, AdminAcl.none());
  }

  /**
   * Accepts tokens signed by any of these keys, valid for at most {@code maxLifetime}, whose role
   * the ACL allows for the path asked for.
   *
   * @throws IllegalArgumentException for another key type or curve, or a lifetime that is not
   *     positive
   */
  public static AdminAuth withKeys(
      List<PublicKey> keys, Clock clock, Duration maxLifetime, AdminAcl acl) {
    for (PublicKey k : keys) {
      if (!isEd25519(k) && !(k instanceof ECPublicKey ec && ecAlgorithm(ec).isPresent())) {
        throw new IllegalArgumentException(
            "admin keys must be Ed25519 or EC P-256/P-384, not " + k.getAlgorithm());
      }
    }
    return new AdminAuth(keys, clock, maxLifetime, acl);
  }

  /**
   * Reads a PEM {@code PUBLIC KEY} (SubjectPublicKeyInfo), Ed25519 or EC.
   *
   * @throws IllegalArgumentException when the text is no such key
   */
  public static PublicKey readPublicKeyPem(String pem) {
    String b64 =
        pem.replace("-----BEGIN PUBLIC KEY-----", "")
            .replace("-----END PUBLIC KEY-----", "")
            .replaceAll("\\s", "");
    byte[] der;
    try {
      der = Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("admin key: not PEM base64");
    }
    for (String alg : List.of("Ed25519", "EC")) {
      try {
        return KeyFactory.getInstance(alg, Crypto.bouncyCastle())
            .generatePublic(new X509EncodedKeySpec(der));
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        // try the next algorithm
      }
    }
    throw new IllegalArgumentException("admin key: not an Ed25519 or EC public key");
  }

  /**
   * Checks the request's Authorization header and, when an ACL is configured, that the token's
   * {@code role} may reach {@code path}, as Trustee checks the request URI.
   *
   * @param path the admin endpoint asked for, e.g. {@code /kbs/v0/resource-policy}
   * @throws KbsError {@link KbsError.Kind#AdminAuthAccess} when absent, malformed, expired, signed
   *     by no configured key, or of a role the ACL does not allow for the path
   */
  public void authorize(Optional<String> authorization, String path) throws KbsError {
    JWTClaimsSet claims = authenticate(authorization);
    Optional<String> role;
    try {
      role = Optional.ofNullable(claims.getStringClaim("role"));
    } catch (ParseException e) {
      throw denied("admin token's role claim is not a string");
    }
    Optional<String> refusal = acl.refusal(role, path);
    if (refusal.isPresent()) {
      throw denied(refusal.get());
    }
  }

  private JWTClaimsSet authenticate(Optional<String> authorization) throws KbsError {
    if (keys.isEmpty()) {
      throw denied("admin API is disabled: no admin keys are configured");
    }
    String header = authorization.orElseThrow(() -> denied("admin token missing"));
    if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw denied("admin token must be sent as Authorization: Bearer <JWT>");
    }
    String token = header.substring(7).trim();
    if (token.length() > MAX_TOKEN_CHARS) {
      throw denied("admin token too large");
    }
    JWSObject jws;
    JWTClaimsSet claims;
    try {
      jws = JWSObject.parse(token);
      claims = JWTClaimsSet.parse(jws.getPayload().toJSONObject());
    } catch (ParseException | IllegalArgumentException e) {
      throw denied("admin token is not a signed JWT");
    }
    if (jws.getHeader().getCriticalParams() != null
        && !jws.getHeader().getCriticalParams().isEmpty()) {
      throw denied("admin token has critical header parameters");
    }
    if (!verifiedByAnyKey(jws)) {
      throw denied("admin token is not signed by a configured admin key");
    }
    Instant now = clock.instant();
    if (claims.getExpirationTime() == null) {
      throw denied("admin token lacks exp");
    }
    if (!now.minus(SKEW).isBefore(claims.getExpirationTime().toInstant())) {
      throw denied("admin token expired");
    }
    if (claims.getIssueTime() != null
        && claims.getIssueTime().toInstant().isAfter(now.plus(SKEW))) {
      throw denied("admin token issued in the future");
    }
    Instant exp = claims.getExpirationTime().toInstant();
    if (exp.isAfter(now.plus(maxLifetime).plus(SKEW))
        || (claims.getIssueTime() != null
            && exp.isAfter(claims.getIssueTime().toInstant().plus(maxLifetime)))) {
      throw denied("admin token lives longer than the allowed " + maxLifetime.toSeconds() + " s");
    }
    return claims;
  }

  private boolean verifiedByAnyKey(JWSObject jws) {
    JWSAlgorithm alg = jws.getHeader().getAlgorithm();
    for (PublicKey k : keys) {
      try {
        if (isEd25519(k)) {
          if (JWSAlgorithm.EdDSA.equals(alg) || JWSAlgorithm.Ed25519.equals(alg)) {
            Signature s = Signature.getInstance("Ed25519", Crypto.bouncyCastle());
            s.initVerify(k);
            s.update(jws.getSigningInput());
            if (s.verify(jws.getSignature().decode())) {
              return true;
            }
          }
        } else if (k instanceof ECPublicKey ec && ecAlgorithm(ec).filter(alg::equals).isPresent()) {
          ECDSAVerifier v = new ECDSAVerifier(ec);
          v.getJCAContext().setProvider(Crypto.bouncyCastle());
          if (jws.verify(v)) {
            return true;
          }
        }
      } catch (GeneralSecurityException | JOSEException | IllegalStateException e) {
        // a signature that cannot be checked with this key is not a match; try the next one
      }
    }
    return false;
  }

  private static boolean isEd25519(PublicKey k) {
    return "Ed25519".equalsIgnoreCase(k.getAlgorithm())
        || "EdDSA".equalsIgnoreCase(k.getAlgorithm());
  }

  private static Optional<JWSAlgorithm> ecAlgorithm(ECPublicKey k) {
    Curve c = Curve.forECParameterSpec(k.getParams());
    if (Curve.P_256.equals(c)) {
      return Optional.of(JWSAlgorithm.ES256);
    }
    if (Curve.P_384.equals(c)) {
      return Optional.of(JWSAlgorithm.ES384);
    }
    return Optional.empty();
  }

  private static KbsError denied(String detail) {
    return new KbsError(KbsError.Kind.AdminAuthAccess, detail);
  }

  /** How many keys are configured. */
  public int keyCount() {
    return keys.size();
  }
}
