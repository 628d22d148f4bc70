package dev.vouch.evidence.tpm.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import java.io.IOException;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;

/**
 * Strict JSON reading shared by the protocol messages and other evidence documents (the container
 * measurement agent's): every bad shape is MALFORMED.
 */
public final class Json {
  public static final ObjectMapper MAPPER =
      new ObjectMapper(
              JsonFactory.builder()
                  .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                  // responses carry whole event and IMA logs
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxStringLength(512 * 1024 * 1024)
                          .maxNestingDepth(16)
                          .build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private Json() {}

  static ObjectNode object(byte[] json, String what) throws VerificationException {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new VerificationException(Failure.MALFORMED, what + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new VerificationException(Failure.MALFORMED, what + ": " + e.getMessage(), e);
    }
    if (!(root instanceof ObjectNode o)) {
      throw new VerificationException(Failure.MALFORMED, what + " must be a JSON object");
    }
    return o;
  }

  public static void onlyMembers(JsonNode node, Set<String> allowed, String what)
      throws VerificationException {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        throw new VerificationException(
            Failure.MALFORMED, what + ": unknown member \"" + name + "\"");
      }
    }
  }

  public static JsonNode required(JsonNode node, String name) throws VerificationException {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      throw new VerificationException(Failure.MALFORMED, "missing \"" + name + "\"");
    }
    return v;
  }

  public static String text(JsonNode node, String name) throws VerificationException {
    JsonNode v = required(node, name);
    if (!v.isTextual()) {
      throw new VerificationException(Failure.MALFORMED, "\"" + name + "\" must be a string");
    }
    return v.asText();
  }

  public static Optional<String> optionalText(JsonNode node, String name)
      throws VerificationException {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isTextual()) {
      throw new VerificationException(Failure.MALFORMED, "\"" + name + "\" must be a string");
    }
    return Optional.of(v.asText());
  }

  /** A non-negative integer that fits a long. */
  static long count(JsonNode v, String name) throws VerificationException {
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
      throw new VerificationException(
          Failure.MALFORMED, "\"" + name + "\" must be a non-negative integer");
    }
    return v.asLong();
  }

  static boolean bool(JsonNode node, String name, boolean absent) throws VerificationException {
    JsonNode v = node.get(name);
    if (v == null) {
      return absent;
    }
    if (!v.isBoolean()) {
      throw new VerificationException(Failure.MALFORMED, "\"" + name + "\" must be true or false");
    }
    return v.asBoolean();
  }

  static byte[] hex(JsonNode node, String name) throws VerificationException {
    String s = text(node, name);
    if (!Hex.isHex(s)) {
      throw new VerificationException(Failure.MALFORMED, "\"" + name + "\" is not hex");
    }
    return Hex.decode(s);
  }

  static byte[] write(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serializes", e);
    }
  }
}
