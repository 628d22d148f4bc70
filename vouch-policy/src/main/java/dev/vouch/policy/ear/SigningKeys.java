package dev.vouch.policy.ear;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.util.List;

/**
 * Token signing keys: one current key signs, older keys stay published until every token they
 * signed has expired, so that relying parties can verify tokens across a rotation.
 */
public interface SigningKeys {

  /** The key that signs new tokens. */
  SigningKey current();

  /** Every published key, current first. */
  List<SigningKey> published();

  /** The public keys as a JWKS (what {@code /.well-known/jwks.json} serves). */
  default JWKSet jwks() {
    return new JWKSet(published().stream().map(k -> (JWK) k.publicJwk()).toList());
  }

  /** {@link #jwks()} as JSON text. */
  default String jwksJson() {
    return jwks().toString(true);
  }
}
