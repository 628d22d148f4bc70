package dev.vouch.policy.rvps;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.jwk.JWK;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.policy.Values;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns reference value messages into {@link ReferenceValue}s, verifying signed ones. Nothing is
 * stored unless the whole message is valid.
 *
 * <p>Messages (JSON):
 *
 * <ul>
 *   <li><b>sample</b>: {@code {"version":"0.1.0","type":"sample","payload":P,"expires":T}} where P
 *       is an object {@code {"name":[values], ...}} or, as Trustee's RVPS sends it, the standard
 *       base64 of that object's JSON; {@code expires} (RFC 3339) is optional. A single value counts
 *       as a list of one.
 *   <li><b>signed</b>, compact: {@code {"version":"0.1.0","type":"signed","payload":"<JWS
 *       compact>"}} or the bare JWS compact text; detached (RFC 7515 appendix F): {@code
 *       {"version":"0.1.0","type":"signed","payload":"<base64url of the bundle>",
 *       "signature":"<protected>..<signature>"}}. The signed bundle is {@code
 *       {"values":{"name":[values]},"expires":T,"not_before":T?}}; {@code expires} is required, and
 *       a bundle is refused when it has expired or is not yet valid. The JWS algorithm is ES256,
 *       ES384 or RS256 and must match a configured key ({@code kid} selects it when given).
 * </ul>
 *
 * <p>Failures: {@link Failure#MALFORMED} (bad JSON, fields or values), {@link Failure#UNSUPPORTED}
 * (version, type, algorithm, critical header), {@link Failure#KEY_MISMATCH} (no configured key for
 * the kid/algorithm), {@link Failure#SIGNATURE_INVALID}, {@link Failure#COLLATERAL_EXPIRED} (bundle
 * outside its validity window).
 */
public final class ReferenceValueMessages {
  /** Larger messages are refused before parsing. */
  public static final int MAX_MESSAGE_BYTES = 4 << 20;

  private static final int MAX_NAME_LENGTH = 256;
  private static final Set<JWSAlgorithm> ALGORITHMS =
      Set.of(JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.RS256);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final BundleKeys keys;
  private final Clock clock;

  public ReferenceValueMessages(BundleKeys keys, Clock clock) {
    this.keys = keys;
    this.clock = clock;
  }

  /** Parses and verifies a message, then stores all its values at once. */
  public List<ReferenceValue> register(ReferenceValueStore store, byte[] message)
      throws VerificationException {
    List<ReferenceValue> values = parse(message);
    store.putAll(values);
    return values;
  }

  /** Parses and verifies a message without storing it. */
  public List<ReferenceValue> parse(byte[] message) throws VerificationException {
    if (message.length > MAX_MESSAGE_BYTES) {
      throw new VerificationException(
          Failure.MALFORMED, "message is larger than " + MAX_MESSAGE_BYTES + " bytes");
    }
    String text = new String(message, StandardCharsets.UTF_8).strip();
    if (!text.startsWith("{")) {
      return signed(text, null);
    }
    JsonNode root = json(message, "message");
    String version = root.path("version").asText("0.1.0");
    if (!version.equals("0.1.0")) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "message version " + version + " (expected 0.1.0)");
    }
    JsonNode type = root.get("type");
    if (type == null || !type.isTextual()) {
      throw new VerificationException(Failure.MALFORMED, "message has no 'type'");
    }
    JsonNode payload = root.get("payload");
    if (payload == null) {
      throw new VerificationException(Failure.MALFORMED, "message has no 'payload'");
    }
    return switch (type.textValue()) {
      case "sample" -> sample(payload, root.get("expires"));
      case "signed" -> {
        if (!payload.isTextual()) {
          throw new VerificationException(
              Failure.MALFORMED, "a signed message's payload is a JWS or base64url text");
        }
        JsonNode sig = root.get("signature");
        if (sig != null && !sig.isTextual()) {
          throw new VerificationException(Failure.MALFORMED, "'signature' must be text");
        }
        yield signed(payload.textValue(), sig == null ? null : sig.textValue());
      }
      default ->
          throw new VerificationException(
              Failure.UNSUPPORTED,
              "message type '" + type.textValue() + "' (supported: sample, signed)");
    };
  }

  /**
   * Parses a plain sample object {@code {"name":[values], ...}} with an optional expiry, as read
   * from a file or an admin request.
   */
  public List<ReferenceValue> sample(byte[] json, Instant expires) throws VerificationException {
    JsonNode values = json(json, "reference values");
    return values(
        values, new Provenance(Provenance.Kind.SAMPLE, null, clock.instant()), null, expires);
  }

  private List<ReferenceValue> sample(JsonNode payload, JsonNode expiresNode)
      throws VerificationException {
    JsonNode values = payload;
    if (payload.isTextual()) {
      byte[] decoded;
      try {
        decoded = Base64.getDecoder().decode(payload.textValue());
      } catch (IllegalArgumentException e) {
        throw new VerificationException(
            Failure.MALFORMED, "sample payload is neither an object nor base64: " + e.getMessage());
      }
      values = json(decoded, "sample payload");
    }
    Instant expires = expiresNode == null ? null : instant(expiresNode, "expires");
    if (expires != null && !clock.instant().isBefore(expires)) {
      throw new VerificationException(Failure.COLLATERAL_EXPIRED, "sample expired at " + expires);
    }
    return values(
        values, new Provenance(Provenance.Kind.SAMPLE, null, clock.instant()), null, expires);
  }

  private List<ReferenceValue> signed(String jws, String detachedSignature)
      throws VerificationException {
    JWSObject object;
    try {
      if (detachedSignature == null) {
        object = JWSObject.parse(jws);
      } else {
        byte[] content;
        try {
          content = Base64.getUrlDecoder().decode(jws);
        } catch (IllegalArgumentException e) {
          throw new VerificationException(
              Failure.MALFORMED, "detached payload is not base64url: " + e.getMessage());
        }
        object = JWSObject.parse(detachedSignature, new Payload(content));
      }
    } catch (ParseException e) {
      throw new VerificationException(Failure.MALFORMED, "not a JWS: " + e.getMessage());
    }
    JWSAlgorithm alg = object.getHeader().getAlgorithm();
    if (!ALGORITHMS.contains(alg)) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "JWS algorithm " + alg + " (accepted: ES256, ES384, RS256)");
    }
    if (object.getHeader().getCriticalParams() != null
        && !object.getHeader().getCriticalParams().isEmpty()) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "critical JWS header " + object.getHeader().getCriticalParams());
    }
    List<JWK> candidates = keys.candidates(object.getHeader());
    if (candidates.isEmpty()) {
      String kid = object.getHeader().getKeyID();
      throw new VerificationException(
          Failure.KEY_MISMATCH,
          "no configured bundle key for " + alg + (kid == null ? "" : " with kid '" + kid + "'"));
    }
    JWK signer = null;
    for (JWK k : candidates) {
      try {
        if (object.verify(BundleKeys.verifier(k))) {
          signer = k;
          break;
        }
      } catch (JOSEException e) {
        // a key that cannot verify this signature shape is not the signer; try the next one
      }
    }
    if (signer == null) {
      throw new VerificationException(
          Failure.SIGNATURE_INVALID, "bundle signature does not verify with any configured key");
    }
    JsonNode bundle = json(object.getPayload().toBytes(), "signed bundle");
    Iterator<String> names = bundle.fieldNames();
    while (names.hasNext()) {
      String n = names.next();
      if (!Set.of("values", "expires", "not_before", "issuer").contains(n)) {
        throw new VerificationException(Failure.MALFORMED, "unknown bundle field '" + n + "'");
      }
    }
    JsonNode expiresNode = bundle.get("expires");
    if (expiresNode == null) {
      throw new VerificationException(
          Failure.MALFORMED, "signed bundle has no 'expires': it could be replayed forever");
    }
    Instant expires = instant(expiresNode, "expires");
    Instant notBefore =
        bundle.has("not_before") ? instant(bundle.get("not_before"), "not_before") : null;
    Instant now = clock.instant();
    if (!now.isBefore(expires)) {
      throw new VerificationException(
          Failure.COLLATERAL_EXPIRED, "signed bundle expired at " + expires);
    }
    if (notBefore != null && now.isBefore(notBefore)) {
      throw new VerificationException(
          Failure.COLLATERAL_EXPIRED, "signed bundle is not valid before " + notBefore);
    }
    JsonNode values = bundle.get("values");
    if (values == null) {
      throw new VerificationException(Failure.MALFORMED, "signed bundle has no 'values'");
    }
    String kid = signer.getKeyID() == null ? thumbprint(signer) : signer.getKeyID();
    return values(values, new Provenance(Provenance.Kind.SIGNED, kid, now), notBefore, expires);
  }

  private static List<ReferenceValue> values(
      JsonNode values, Provenance provenance, Instant notBefore, Instant expires)
      throws VerificationException {
    if (!values.isObject() || values.isEmpty()) {
      throw new VerificationException(
          Failure.MALFORMED, "reference values must be a non-empty object of name -> [values]");
    }
    List<ReferenceValue> out = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = values.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      if (name.isBlank() || name.length() > MAX_NAME_LENGTH) {
        throw new VerificationException(
            Failure.MALFORMED,
            "reference value name must have 1-" + MAX_NAME_LENGTH + " characters");
      }
      JsonNode v = e.getValue();
      List<Object> list = new ArrayList<>();
      try {
        if (v.isArray()) {
          for (JsonNode x : v) {
            list.add(Values.fromJson(x));
          }
        } else {
          list.add(Values.fromJson(v));
        }
      } catch (IllegalArgumentException bad) {
        throw new VerificationException(
            Failure.MALFORMED, "reference value " + name + ": " + bad.getMessage());
      }
      out.add(new ReferenceValue(name, list, provenance, notBefore, expires));
    }
    return out;
  }

  private static String thumbprint(JWK k) {
    try {
      return k.computeThumbprint().toString();
    } catch (JOSEException e) {
      return "unidentified key";
    }
  }

  private static Instant instant(JsonNode n, String field) throws VerificationException {
    if (n.isIntegralNumber()) {
      return Instant.ofEpochSecond(n.longValue());
    }
    try {
      return Instant.parse(n.asText());
    } catch (DateTimeParseException e) {
      throw new VerificationException(
          Failure.MALFORMED,
          "'" + field + "' must be RFC 3339 UTC or epoch seconds: " + n.asText());
    }
  }

  private static JsonNode json(byte[] bytes, String what) throws VerificationException {
    try {
      JsonNode n = JSON.readTree(bytes);
      if (n == null || !n.isObject()) {
        throw new VerificationException(Failure.MALFORMED, what + " must be a JSON object");
      }
      return n;
    } catch (JsonProcessingException e) {
      throw new VerificationException(
          Failure.MALFORMED, what + " is not JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new VerificationException(Failure.MALFORMED, what + " cannot be read");
    }
  }
}
