package dev.vouch.policy.ear;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.vouch.core.crypto.Crypto;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Issues EAR attestation result tokens shaped as Trustee's attestation service issues them: JWTs
 * signed ES256 or ES384 with the current key of a {@link SigningKeys}, header {@code kid} naming
 * the key in the JWKS and {@code jwk} carrying its public half (as Trustee's header does), claims
 * {@code eat_profile} (Trustee's profile), {@code iss}, {@code iat}, {@code exp}, {@code
 * ear.verifier-id} and {@code submods}. With a {@link TokenCertifier} the header also carries
 * {@code x5c}: a certificate chain for the signing key, so that relying parties can trust the key
 * through a pinned root rather than a JWKS. Thread-safe.
 */
public final class EarIssuer {
  private final SigningKeys keys;
  private final VerifierId verifierId;
  private final Duration lifetime;
  private final Clock clock;
  private final String issuer;
  private final TokenCertifier certifier;

  /**
   * An issuer named {@link Ear#DEFAULT_ISSUER}.
   *
   * @param lifetime how long tokens are valid ({@code exp - iat}); also how long a superseded key
   *     must stay published
   */
  public EarIssuer(SigningKeys keys, VerifierId verifierId, Duration lifetime, Clock clock) {
    this(keys, verifierId, Ear.DEFAULT_ISSUER, lifetime, clock);
  }

  /**
   * @param issuer the {@code iss} claim
   * @param lifetime how long tokens are valid ({@code exp - iat}); also how long a superseded key
   *     must stay published
   */
  public EarIssuer(
      SigningKeys keys, VerifierId verifierId, String issuer, Duration lifetime, Clock clock) {
    if (lifetime.isNegative() || lifetime.isZero()) {
      throw new IllegalArgumentException("token lifetime must be positive");
    }
    if (issuer == null || issuer.isBlank()) {
      throw new IllegalArgumentException("issuer must be named");
    }
    this.keys = keys;
    this.verifierId = verifierId;
    this.issuer = issuer;
    this.lifetime = lifetime;
    this.clock = clock;
    this.certifier = null;
  }

  private EarIssuer(EarIssuer base, TokenCertifier certifier) {
    this.keys = base.keys;
    this.verifierId = base.verifierId;
    this.issuer = base.issuer;
    this.lifetime = base.lifetime;
    this.clock = base.clock;
    this.certifier = certifier;
  }

  /** This issuer, also putting the signing key's certificate chain in {@code x5c}. */
  public EarIssuer withCertifier(TokenCertifier certifier) {
    return new EarIssuer(this, java.util.Objects.requireNonNull(certifier));
  }

  public Duration lifetime() {
    return lifetime;
  }

  /**
   * Signs a token over the given submods.
   *
   * @param submods by attester name, e.g. {@code "tpm"} or {@code "cpu0"}; at least one
   * @param nonce the {@code eat_nonce} to echo, or {@code null}
   */
  public String issue(Map<String, Submod> submods, String nonce) {
    if (submods.isEmpty()) {
      throw new IllegalArgumentException("an attestation result needs at least one submod");
    }
    SigningKey key = keys.current();
    Instant now = clock.instant();
    Map<String, Object> subs = new LinkedHashMap<>();
    submods.forEach((name, s) -> subs.put(name, submod(s)));
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .claim(Ear.EAT_PROFILE, Ear.TRUSTEE_PROFILE)
            .issuer(issuer)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(lifetime)))
            .claim(
                Ear.VERIFIER_ID,
                Map.of("developer", verifierId.developer(), "build", verifierId.build()))
            .claim(Ear.SUBMODS, subs);
    if (nonce != null) {
      claims.claim(Ear.NONCE, nonce);
    }
    JWSHeader header =
        new JWSHeader.Builder(key.algorithm().jws())
            .type(JOSEObjectType.JWT)
            .keyID(key.kid())
            // the public key, as Trustee's tokens carry it; a relying party still has to trust it
            .jwk(key.publicJwk())
            .x509CertChain(certifier == null ? null : x5c(certifier.chainFor(key)))
            .build();
    SignedJWT jwt = new SignedJWT(header, claims.build());
    try {
      ECDSASigner signer = new ECDSASigner(key.key());
      // BouncyCastle signs P-256 about twice as fast as the JDK here
      signer.getJCAContext().setProvider(Crypto.bouncyCastle());
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign with key " + key.kid(), e);
    }
    return jwt.serialize();
  }

  private static java.util.List<com.nimbusds.jose.util.Base64> x5c(
      java.util.List<java.security.cert.X509Certificate> chain) {
    try {
      java.util.List<com.nimbusds.jose.util.Base64> out = new java.util.ArrayList<>();
      for (java.security.cert.X509Certificate c : chain) {
        out.add(com.nimbusds.jose.util.Base64.encode(c.getEncoded()));
      }
      return out;
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException("cannot encode the token certificate chain", e);
    }
  }

  private static Map<String, Object> submod(Submod s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(Ear.STATUS, s.status().earName());
    m.put(Ear.TRUST_VECTOR, s.trustVector().toEar());
    m.put(Ear.POLICY_ID, s.policyId());
    m.put(Ear.ANNOTATED_EVIDENCE, plain(s.annotatedEvidence()));
    return m;
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper PLAIN =
      new com.fasterxml.jackson.databind.ObjectMapper();

  /**
   * Jackson trees (structured runtime data, init data) as plain maps, lists and scalars: Nimbus
   * serializes an object it does not know as a bean, which turned a JSON tree into its internal
   * fields ({@code _children}, {@code _nodeFactory}) and hid {@code runtime_data_claims.tee-pubkey}
   * from every relying party.
   */
  private static Object plain(Object v) {
    return switch (v) {
      case com.fasterxml.jackson.databind.JsonNode n -> PLAIN.convertValue(n, Object.class);
      case Map<?, ?> map -> {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, x) -> out.put(String.valueOf(k), plain(x)));
        yield out;
      }
      case java.util.Collection<?> c -> c.stream().map(EarIssuer::plain).toList();
      case null -> null;
      default -> v;
    };
  }
}
