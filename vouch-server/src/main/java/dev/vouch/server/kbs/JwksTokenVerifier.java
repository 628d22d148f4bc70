package dev.vouch.server.kbs;

import dev.vouch.core.VerificationException;
import dev.vouch.policy.ear.EarVerifier;

/**
 * Accepts EAR tokens signed by a key of a trusted attestation service's JWKS (ES256/ES384, by
 * {@code kid}); keys in the token's own header are never trusted. Thread-safe.
 */
public final class JwksTokenVerifier implements TokenVerifier {
  private final EarVerifier verifier;

  public JwksTokenVerifier(EarVerifier verifier) {
    this.verifier = verifier;
  }

  @Override
  public TokenClaims verify(String token) throws VerificationException {
    verifier.verify(token);
    return TokenClaims.parse(token);
  }
}
