package dev.vouch.core.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * RFC 8785 JSON Canonicalization Scheme: members sorted by their UTF-16 code units, no whitespace,
 * the minimal string escapes, numbers in ECMAScript form. The attestation service, the KBS, its
 * client and flavor signatures hash structured runtime data over this form, so it must match
 * Trustee's {@code serde_json_canonicalizer} byte for byte.
 */
public final class Jcs {
  private Jcs() {}

  /** The canonical UTF-8 bytes of {@code value}. */
  public static byte[] canonicalize(JsonNode value) {
    StringBuilder out = new StringBuilder();
    write(value, out);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void write(JsonNode v, StringBuilder out) {
    switch (v.getNodeType()) {
      case OBJECT -> {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = v.fieldNames(); it.hasNext(); ) {
          names.add(it.next());
        }
        // String.compareTo compares UTF-16 code units, which is what RFC 8785 section 3.2.3 asks
        names.sort(String::compareTo);
        out.append('{');
        for (int i = 0; i < names.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          string(names.get(i), out);
          out.append(':');
          write(v.get(names.get(i)), out);
        }
        out.append('}');
      }
      case ARRAY -> {
        out.append('[');
        for (int i = 0; i < v.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          write(v.get(i), out);
        }
        out.append(']');
      }
      case STRING -> string(v.textValue(), out);
      case BOOLEAN -> out.append(v.booleanValue());
      case NUMBER -> out.append(number(v));
      case NULL, MISSING -> out.append("null");
      case BINARY, POJO -> throw new IllegalArgumentException("not a JSON value: " + v);
    }
  }

  private static void string(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** ECMAScript Number::toString of the double nearest to the JSON number (RFC 8785 3.2.2.3). */
  static String number(JsonNode v) {
    double d = v.doubleValue();
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      throw new IllegalArgumentException("JSON numbers must be finite");
    }
    if (d == 0) {
      return "0";
    }
    // Double.toString gives the shortest digits that round-trip (JDK 19+); ECMAScript picks the
    // same digits and only formats them differently
    BigDecimal shortest = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
    String digits = shortest.unscaledValue().toString();
    int k = digits.length();
    int n = k - shortest.scale(); // the decimal exponent: value = 0.digits * 10^n
    StringBuilder s = new StringBuilder(d < 0 ? "-" : "");
    if (k <= n && n <= 21) {
      s.append(digits).append("0".repeat(n - k));
    } else if (0 < n && n <= 21) {
      s.append(digits, 0, n).append('.').append(digits, n, k);
    } else if (-6 < n && n <= 0) {
      s.append("0.").append("0".repeat(-n)).append(digits);
    } else {
      int e = n - 1;
      s.append(digits.charAt(0));
      if (k > 1) {
        s.append('.').append(digits, 1, k);
      }
      s.append('e').append(e < 0 ? '-' : '+').append(Math.abs(e));
    }
    return s.toString();
  }
}
