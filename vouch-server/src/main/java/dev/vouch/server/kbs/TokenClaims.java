package dev.vouch.server.kbs;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.policy.Values;
import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The claims of an attestation token (a JWT) as JSON, read without checking the signature: callers
 * either verified it first ({@link TokenVerifier}) or received it straight from their own
 * attestation backend.
 *
 * @param json the payload
 * @param expiresAt {@code exp}, if present
 */
public record TokenClaims(JsonNode json, Optional<Instant> expiresAt) {
  private static final JsonMapper JSON =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .build();

  static {
    JSON.getFactory()
        .setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
  }

  /** Where Trustee's KBS looks for the TEE key in a token, first hit wins. */
  private static final List<String> TEE_KEY_POINTERS =
      List.of("/customized_claims/runtime_data/tee-pubkey", "/tee-pubkey");

  /**
   * Reads a compact JWT's payload.
   *
   * @throws VerificationException {@link Failure#MALFORMED} when it is no JWT with a JSON object
   *     payload
   */
  public static TokenClaims parse(String token) throws VerificationException {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) {
      throw new VerificationException(Failure.MALFORMED, "token is not a compact JWS");
    }
    JsonNode payload;
    try {
      payload = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
    } catch (IOException | IllegalArgumentException e) {
      throw new VerificationException(Failure.MALFORMED, "token payload is not JSON");
    }
    if (payload == null || !payload.isObject()) {
      throw new VerificationException(Failure.MALFORMED, "token payload is not a JSON object");
    }
    JsonNode exp = payload.get("exp");
    Optional<Instant> expiresAt =
        exp != null && exp.canConvertToLong()
            ? Optional.of(Instant.ofEpochSecond(exp.longValue()))
            : Optional.empty();
    return new TokenClaims(payload, expiresAt);
  }

  /** The claims as policy values (maps, lists, strings, longs, doubles, booleans). */
  @SuppressWarnings("unchecked")
  public Map<String, Object> asPolicyValues() {
    return (Map<String, Object>) Values.fromJson(json);
  }

  /**
   * The TEE key the token binds, where Trustee's KBS finds it: {@code
   * runtime_data_claims.tee-pubkey} in a submod's {@code ear.veraison.annotated-evidence} ({@code
   * cpu0} first), then the legacy locations.
   */
  public Optional<JsonNode> teePublicKey() {
    JsonNode submods = json.path("submods");
    if (submods.isObject()) {
      JsonNode first = submods.path("cpu0").path("ear.veraison.annotated-evidence");
      JsonNode k = first.path("runtime_data_claims").path("tee-pubkey");
      if (k.isObject()) {
        return Optional.of(k);
      }
      for (JsonNode s : submods) {
        k =
            s.path("ear.veraison.annotated-evidence")
                .path("runtime_data_claims")
                .path("tee-pubkey");
        if (k.isObject()) {
          return Optional.of(k);
        }
      }
    }
    for (String p : TEE_KEY_POINTERS) {
      JsonNode k = json.at(p);
      if (k.isObject()) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }
}
