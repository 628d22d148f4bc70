package dev.vouch.policy.ear;

import com.nimbusds.jose.jwk.ECKey;
import java.time.Instant;

/**
 * A token signing key.
 *
 * @param kid the key id in token headers and the JWKS (its RFC 7638 thumbprint)
 * @param key the EC key pair
 * @param algorithm ES256 (P-256) or ES384 (P-384)
 * @param created when it was made
 * @param supersededAt when a newer key replaced it for signing, or {@code null} while current
 */
public record SigningKey(
    String kid, ECKey key, EarAlgorithm algorithm, Instant created, Instant supersededAt) {

  /** The public half, as published in the JWKS. */
  public ECKey publicJwk() {
    return key.toPublicJWK();
  }

  @Override
  public String toString() {
    // never print private key material
    return "SigningKey[" + kid + ", " + algorithm + ", created " + created + "]";
  }
}
