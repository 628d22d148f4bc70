package dev.vouch.server.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) for a route's request or response body,
 * written next to the route in one expression:
 *
 * <pre>{@code
 * r.admin(...).takes(object("id", STRING, "group?", STRING)).returns(object("id", STRING));
 * }</pre>
 *
 * Objects list the members a client may rely on ({@code name} is required, {@code name?} optional)
 * and stay open to members added later, as the API adds fields without a new version. Immutable.
 *
 * @param json the schema as a JSON-ready map
 */
public record JsonSchema(Map<String, Object> json) {
  public static final JsonSchema ANY = new JsonSchema(Map.of());
  public static final JsonSchema STRING = type("string");
  public static final JsonSchema INTEGER = type("integer");
  public static final JsonSchema NUMBER = type("number");
  public static final JsonSchema BOOLEAN = type("boolean");
  public static final JsonSchema OBJECT = type("object");
  public static final JsonSchema DATE_TIME =
      new JsonSchema(Map.of("type", "string", "format", "date-time"));

  public JsonSchema {
    json = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(json));
  }

  private static JsonSchema type(String t) {
    return new JsonSchema(Map.of("type", t));
  }

  /** A string described for the reader (PEM, JWS, YAML and other text bodies). */
  public static JsonSchema text(String description) {
    return new JsonSchema(Map.of("type", "string", "description", description));
  }

  /** One of the given strings. */
  public static JsonSchema oneOf(String... values) {
    return new JsonSchema(Map.of("type", "string", "enum", List.of(values)));
  }

  /** One of the constant names of an enum (statuses, kinds). */
  public static JsonSchema oneOf(Class<? extends Enum<?>> e) {
    return oneOf(
        java.util.Arrays.stream(e.getEnumConstants()).map(Enum::name).toArray(String[]::new));
  }

  /** Any of the given schemas (a union). */
  public static JsonSchema anyOf(JsonSchema... alternatives) {
    List<Object> alts = new ArrayList<>();
    for (JsonSchema a : alternatives) {
      alts.add(a.json());
    }
    return new JsonSchema(Map.of("anyOf", alts));
  }

  /** {@code s}, or JSON {@code null} where the API writes null for "none". */
  public static JsonSchema nullable(JsonSchema s) {
    return anyOf(s, type("null"));
  }

  public static JsonSchema arrayOf(JsonSchema items) {
    return new JsonSchema(Map.of("type", "array", "items", items.json()));
  }

  /** An object whose member names are data (ids, names) and whose values are all {@code values}. */
  public static JsonSchema mapOf(JsonSchema values) {
    return new JsonSchema(Map.of("type", "object", "additionalProperties", values.json()));
  }

  /**
   * An object from pairs of member name and schema; a name ending in {@code ?} is optional.
   *
   * @throws IllegalArgumentException when the pairs do not alternate name and schema
   */
  public static JsonSchema object(Object... namesAndSchemas) {
    if (namesAndSchemas.length % 2 != 0) {
      throw new IllegalArgumentException("object schema needs name, schema pairs");
    }
    Map<String, Object> props = new LinkedHashMap<>();
    List<String> required = new ArrayList<>();
    for (int i = 0; i < namesAndSchemas.length; i += 2) {
      if (!(namesAndSchemas[i] instanceof String name)
          || !(namesAndSchemas[i + 1] instanceof JsonSchema s)) {
        throw new IllegalArgumentException("object schema needs name, schema pairs");
      }
      boolean optional = name.endsWith("?");
      String key = optional ? name.substring(0, name.length() - 1) : name;
      if (props.put(key, s.json()) != null) {
        throw new IllegalArgumentException("member '" + key + "' listed twice");
      }
      if (!optional) {
        required.add(key);
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", "object");
    m.put("properties", props);
    if (!required.isEmpty()) {
      m.put("required", required);
    }
    return new JsonSchema(m);
  }

  /**
   * This object schema with more members, as {@link #object} takes them (a detail view that adds to
   * the list view's members).
   */
  public JsonSchema and(Object... namesAndSchemas) {
    JsonSchema more = object(namesAndSchemas);
    Map<String, Object> m = new LinkedHashMap<>(json);
    @SuppressWarnings("unchecked")
    Map<String, Object> props =
        new LinkedHashMap<>((Map<String, Object>) json.getOrDefault("properties", Map.of()));
    @SuppressWarnings("unchecked")
    Map<String, Object> moreProps = (Map<String, Object>) more.json().get("properties");
    props.putAll(moreProps);
    m.put("properties", props);
    @SuppressWarnings("unchecked")
    List<String> required =
        new ArrayList<>((List<String>) json.getOrDefault("required", List.of()));
    @SuppressWarnings("unchecked")
    List<String> moreRequired = (List<String>) more.json().getOrDefault("required", List.of());
    required.addAll(moreRequired);
    if (!required.isEmpty()) {
      m.put("required", required);
    }
    return new JsonSchema(m);
  }

  /** This schema with a description for the reader. */
  public JsonSchema describedAs(String description) {
    Map<String, Object> m = new LinkedHashMap<>(json);
    m.put("description", description);
    return new JsonSchema(m);
  }
}
