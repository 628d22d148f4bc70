package dev.vouch.server.kbs;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.vouch.core.VerificationException;
import dev.vouch.policy.ear.EarVerifier;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Bearer tokens from the attestation services this KBS trusts: its own (whose signing keys rotate,
 * so they are read at every check rather than copied once) and any configured by JWKS. A token
 * counts only when a published key of one of them verifies it by {@code kid}; keys in the token's
 * own header are never trusted. Thread-safe.
 */
public final class TrustedIssuers implements TokenVerifier {
  private final List<Supplier<JWKSet>> issuers;
  private final Clock clock;

  public TrustedIssuers(List<Supplier<JWKSet>> issuers, Clock clock) {
    if (issuers.isEmpty()) {
      throw new IllegalArgumentException("at least one issuer is needed");
    }
    this.issuers = List.copyOf(issuers);
    this.clock = clock;
  }

  @Override
  public TokenClaims verify(String token) throws VerificationException {
    List<JWK> keys = new ArrayList<>();
    for (Supplier<JWKSet> issuer : issuers) {
      keys.addAll(issuer.get().getKeys());
    }
    new EarVerifier(new JWKSet(keys), clock).verify(token);
    return TokenClaims.parse(token);
  }
}
