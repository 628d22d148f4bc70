package dev.vouch.policy.flavor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 8785 (JCS) canonical JSON for the values flavors hold: members sorted by UTF-16 code units,
 * no white space, JCS string escapes. Numbers must be integers (flavors have no others); a
 * fractional number fails with UNSUPPORTED rather than risk a different rendering than JCS's.
 */
final class CanonicalJson {
  private CanonicalJson() {}

  static byte[] of(JsonNode node) throws VerificationException {
    StringBuilder sb = new StringBuilder();
    write(node, sb);
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void write(JsonNode n, StringBuilder sb) throws VerificationException {
    if (n.isObject()) {
      List<String> names = new ArrayList<>();
      n.fieldNames().forEachRemaining(names::add);
      // String.compareTo orders by UTF-16 code units, which is what JCS asks for
      names.sort(String::compareTo);
      sb.append('{');
      for (int i = 0; i < names.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        string(names.get(i), sb);
        sb.append(':');
        write(n.get(names.get(i)), sb);
      }
      sb.append('}');
    } else if (n.isArray()) {
      sb.append('[');
      for (int i = 0; i < n.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        write(n.get(i), sb);
      }
      sb.append(']');
    } else if (n.isTextual()) {
      string(n.asText(), sb);
    } else if (n.isBoolean()) {
      sb.append(n.asBoolean());
    } else if (n.isNull()) {
      sb.append("null");
    } else if (n.isIntegralNumber()) {
      sb.append(n.bigIntegerValue());
    } else {
      throw new VerificationException(
          Failure.UNSUPPORTED, "canonical flavor JSON takes integers only, not " + n);
    }
  }

  private static void string(String s, StringBuilder sb) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
