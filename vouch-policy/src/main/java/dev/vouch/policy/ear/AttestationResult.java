package dev.vouch.policy.ear;

import dev.vouch.policy.Tier;
import dev.vouch.policy.TrustVector;
import java.time.Instant;
import java.util.Map;

/**
 * A verified EAR token's content.
 *
 * @param kid the key that signed it
 * @param issuedAt {@code iat}
 * @param expiresAt {@code exp}
 * @param nonce {@code eat_nonce}, or {@code null}
 * @param verifierId {@code ear.verifier-id}
 * @param submods by attester name
 */
public record AttestationResult(
    String kid,
    Instant issuedAt,
    Instant expiresAt,
    String nonce,
    VerifierId verifierId,
    Map<String, Appraised> submods) {

  public AttestationResult {
    submods = Map.copyOf(submods);
  }

  /** One submod as read back from a token. */
  public record Appraised(
      Tier status,
      TrustVector trustVector,
      String policyId,
      Map<String, Object> annotatedEvidence) {}

  /** The worst status over all submods. */
  public Tier status() {
    Tier worst = Tier.NONE;
    for (Appraised a : submods.values()) {
      worst = worst.worst(a.status());
    }
    return worst;
  }
}
