package dev.vouch.evidence.dcap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** Strict accessors for Intel's collateral JSON: a missing or mistyped field is MALFORMED. */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  static JsonNode tree(byte[] json, String what) throws VerificationException {
    try {
      JsonNode n = MAPPER.readTree(json);
      if (n == null || !n.isObject()) {
        throw new VerificationException(Failure.MALFORMED, what + " is not a JSON object");
      }
      return n;
    } catch (IOException e) {
      throw new VerificationException(Failure.MALFORMED, what + " does not parse as JSON");
    }
  }

  static JsonNode field(JsonNode n, String name) throws VerificationException {
    JsonNode v = n.get(name);
    if (v == null || v.isNull()) {
      throw new VerificationException(Failure.MALFORMED, "collateral lacks \"" + name + "\"");
    }
    return v;
  }

  static String text(JsonNode n, String name) throws VerificationException {
    JsonNode v = field(n, name);
    if (!v.isTextual()) {
      throw new VerificationException(Failure.MALFORMED, "\"" + name + "\" is not a string");
    }
    return v.textValue();
  }

  static int integer(JsonNode n, String name) throws VerificationException {
    JsonNode v = field(n, name);
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
      throw new VerificationException(
          Failure.MALFORMED, "\"" + name + "\" is not a non-negative integer");
    }
    return v.intValue();
  }

  static byte[] hex(JsonNode n, String name, int length) throws VerificationException {
    String s = text(n, name);
    if (!Hex.isHex(s) || s.length() != 2 * length) {
      throw new VerificationException(
          Failure.MALFORMED, "\"" + name + "\" is not " + length + " bytes of hex");
    }
    return Hex.decode(s);
  }

  static Instant time(JsonNode n, String name) throws VerificationException {
    try {
      return Instant.parse(text(n, name));
    } catch (DateTimeParseException e) {
      throw new VerificationException(Failure.MALFORMED, "\"" + name + "\" is not a timestamp");
    }
  }

  static List<JsonNode> array(JsonNode n, String name) throws VerificationException {
    JsonNode v = field(n, name);
    if (!v.isArray()) {
      throw new VerificationException(Failure.MALFORMED, "\"" + name + "\" is not an array");
    }
    List<JsonNode> out = new ArrayList<>();
    v.forEach(out::add);
    return out;
  }

  static List<String> strings(JsonNode n, String name) throws VerificationException {
    if (!n.has(name)) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (JsonNode s : array(n, name)) {
      if (!s.isTextual()) {
        throw new VerificationException(Failure.MALFORMED, "\"" + name + "\" holds a non-string");
      }
      out.add(s.textValue());
    }
    return List.copyOf(out);
  }

  static TcbStatus status(JsonNode n) throws VerificationException {
    String s = text(n, "tcbStatus");
    return TcbStatus.fromWireName(s)
        .orElseThrow(() -> new VerificationException(Failure.MALFORMED, "unknown tcbStatus " + s));
  }
}
