package dev.vouch.server.as;

import java.util.Map;

/**
 * The result of one attestation: the signed EAR token and what it says.
 *
 * @param token the EAR JWT (compact serialisation), signed by the attestation service
 * @param status {@code affirming}, {@code warning}, {@code contraindicated} or {@code none}
 * @param claims the verified claims the token annotates
 */
public record AttestationOutcome(String token, String status, Map<String, Object> claims) {
  public AttestationOutcome {
    claims = Map.copyOf(claims);
  }

  public boolean affirming() {
    return "affirming".equals(status);
  }
}
