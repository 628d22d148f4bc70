package dev.vouch.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.common.values.NullValue;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The values policies see: {@link String}, {@link Long}, {@link Double}, {@link Boolean}, {@link
 * List}, {@link Map} with string keys, and CEL's null. Claims, reference values and input are
 * converted to these forms before evaluation, so that {@code 7} from JSON and {@code 7L} from a
 * verifier compare equal.
 */
public final class Values {
  private Values() {}

  /**
   * Converts a JSON value. Integers beyond the 64-bit range are refused rather than silently turned
   * into doubles, which would make equality comparisons lie.
   *
   * @throws IllegalArgumentException for an integer outside the signed 64-bit range
   */
  public static Object fromJson(JsonNode node) {
    return switch (node.getNodeType()) {
      case STRING -> node.textValue();
      case BOOLEAN -> node.booleanValue();
      case NUMBER -> number(node);
      case NULL, MISSING -> NullValue.NULL_VALUE;
      case ARRAY -> {
        List<Object> out = new ArrayList<>(node.size());
        for (JsonNode e : node) {
          out.add(fromJson(e));
        }
        yield Collections.unmodifiableList(out);
      }
      case OBJECT -> {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          out.put(e.getKey(), fromJson(e.getValue()));
        }
        yield Collections.unmodifiableMap(out);
      }
      case BINARY, POJO -> node.asText();
    };
  }

  private static Object number(JsonNode node) {
    if (node.isIntegralNumber()) {
      BigInteger b = node.bigIntegerValue();
      if (b.bitLength() > 63) {
        throw new IllegalArgumentException("integer " + b + " is outside the 64-bit range");
      }
      return b.longValue();
    }
    return node.doubleValue();
  }

  /**
   * Converts a Java value (as verifiers and callers hold them) to a policy value: smaller integer
   * types become {@link Long}, floats {@link Double}, {@code null} CEL null; lists and maps are
   * converted element by element. Returns the same instance when nothing needs converting.
   *
   * @throws IllegalArgumentException for a type policies cannot see (e.g. a byte array)
   */
  public static Object normalize(Object v) {
    if (v == null) {
      return NullValue.NULL_VALUE;
    }
    if (v instanceof String || v instanceof Long || v instanceof Boolean || v instanceof Double) {
      return v;
    }
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof Float f) {
      return f.doubleValue();
    }
    if (v instanceof BigInteger b) {
      if (b.bitLength() > 63) {
        throw new IllegalArgumentException("integer " + b + " is outside the 64-bit range");
      }
      return b.longValue();
    }
    if (v instanceof NullValue) {
      return v;
    }
    if (v instanceof JsonNode n) {
      return fromJson(n);
    }
    if (v instanceof List<?> l) {
      List<Object> out = null;
      for (int i = 0; i < l.size(); i++) {
        Object e = l.get(i);
        Object n = normalize(e);
        if (n != e && out == null) {
          out = new ArrayList<>(l.subList(0, i));
        }
        if (out != null) {
          out.add(n);
        }
      }
      return out == null ? l : Collections.unmodifiableList(out);
    }
    if (v instanceof Map<?, ?> m) {
      return normalizeMap(m);
    }
    throw new IllegalArgumentException(
        "values of type " + v.getClass().getSimpleName() + " cannot be used in policies");
  }

  /**
   * Converts a map of named values; keys must be strings. Returns the same instance when nothing
   * needs converting.
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> normalizeMap(Map<?, ?> m) {
    Map<String, Object> out = null;
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getKey() instanceof String k)) {
        throw new IllegalArgumentException("map keys must be strings, found " + e.getKey());
      }
      Object n = normalize(e.getValue());
      if (n != e.getValue() && out == null) {
        out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> before : m.entrySet()) {
          if (before.getKey().equals(k)) {
            break;
          }
          out.put((String) before.getKey(), before.getValue());
        }
      }
      if (out != null) {
        out.put(k, n);
      }
    }
    return out == null ? (Map<String, Object>) m : Collections.unmodifiableMap(out);
  }

  /**
   * The value as plain Java for JSON output: CEL's null becomes {@code null}, lists and maps are
   * converted element by element.
   */
  public static Object toPlain(Object v) {
    if (v instanceof NullValue) {
      return null;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      l.forEach(e -> out.add(toPlain(e)));
      return out;
    }
    if (v instanceof Map<?, ?> m) {
      Map<Object, Object> out = new LinkedHashMap<>();
      m.forEach((k, e) -> out.put(k, toPlain(e)));
      return out;
    }
    return v;
  }

  /** Renders a value for explanations: strings quoted, long lists shortened. */
  public static String render(Object v) {
    if (v instanceof String s) {
      return '"' + s + '"';
    }
    if (v instanceof List<?> l) {
      StringBuilder sb = new StringBuilder("[");
      int shown = Math.min(l.size(), 8);
      for (int i = 0; i < shown; i++) {
        sb.append(i == 0 ? "" : ", ").append(render(l.get(i)));
      }
      if (l.size() > shown) {
        sb.append(", ... (").append(l.size() - shown).append(" more)");
      }
      return sb.append(']').toString();
    }
    if (v instanceof NullValue || v == null) {
      return "null";
    }
    return String.valueOf(v);
  }
}
