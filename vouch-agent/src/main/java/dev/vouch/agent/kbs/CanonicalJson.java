package dev.vouch.agent.kbs;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * RFC 8785 canonical JSON for the values the KBS client hashes: objects with members sorted by
 * UTF-16 code units, strings with the minimal escapes, arrays, booleans, null and integers. The
 * runtime data holds only strings, so fractional numbers are refused rather than approximated.
 */
final class CanonicalJson {
  private CanonicalJson() {}

  static byte[] of(JsonNode v) {
    StringBuilder b = new StringBuilder();
    append(v, b);
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void append(JsonNode v, StringBuilder b) {
    if (v.isObject()) {
      List<String> names = new ArrayList<>();
      for (Iterator<String> it = v.fieldNames(); it.hasNext(); ) {
        names.add(it.next());
      }
      names.sort(null);
      b.append('{');
      String sep = "";
      for (String n : names) {
        b.append(sep);
        sep = ",";
        string(n, b);
        b.append(':');
        append(v.get(n), b);
      }
      b.append('}');
    } else if (v.isArray()) {
      b.append('[');
      for (int i = 0; i < v.size(); i++) {
        if (i > 0) {
          b.append(',');
        }
        append(v.get(i), b);
      }
      b.append(']');
    } else if (v.isTextual()) {
      string(v.textValue(), b);
    } else if (v.isBoolean()) {
      b.append(v.booleanValue());
    } else if (v.isNull()) {
      b.append("null");
    } else if (v.isIntegralNumber()
        && v.canConvertToLong()
        && Math.abs(v.longValue()) < (1L << 53)) {
      b.append(v.longValue());
    } else {
      throw new IllegalArgumentException("the KBS client canonicalises no value like " + v);
    }
  }

  private static void string(String s, StringBuilder b) {
    b.append('"');
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append("\\u00")
                .append(Character.forDigit(c >> 4, 16))
                .append(Character.forDigit(c & 15, 16));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}
