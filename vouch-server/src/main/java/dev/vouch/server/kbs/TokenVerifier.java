package dev.vouch.server.kbs;

import dev.vouch.core.VerificationException;

/**
 * Verifies attestation tokens a client presents as {@code Authorization: Bearer} (the passport
 * model: the token comes from an attestation service this KBS trusts).
 */
public interface TokenVerifier {

  /**
   * Verifies signature, validity and shape.
   *
   * @throws VerificationException with the failure (signature, key, expiry, shape)
   */
  TokenClaims verify(String token) throws VerificationException;
}
