package dev.vouch.core;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Flat, sorted claims produced by a verifier, e.g. {@code tpm.pcr.sha256.7 -> "hex"}. Values are
 * {@link String}, {@link Long}, {@link Boolean} or a {@link List} of those. Immutable.
 */
public record Claims(SortedMap<String, Object> values) {

  public Claims {
    values = Collections.unmodifiableSortedMap(new TreeMap<>(values));
  }

  /** The value of a claim, or {@code null} when absent. */
  public Object get(String name) {
    return values.get(name);
  }

  public Map<String, Object> asMap() {
    return values;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Collects claims; rejects a claim name set twice, which would hide a verifier bug. */
  public static final class Builder {
    private final TreeMap<String, Object> values = new TreeMap<>();

    public Builder put(String name, String value) {
      return putChecked(name, value);
    }

    public Builder put(String name, long value) {
      return putChecked(name, value);
    }

    public Builder put(String name, boolean value) {
      return putChecked(name, value);
    }

    public Builder put(String name, List<?> value) {
      return putChecked(name, List.copyOf(value));
    }

    public Builder putAll(Claims other) {
      other.values().forEach(this::putChecked);
      return this;
    }

    private Builder putChecked(String name, Object value) {
      if (values.putIfAbsent(name, value) != null) {
        throw new IllegalStateException("claim set twice: " + name);
      }
      return this;
    }

    public Claims build() {
      return new Claims(values);
    }
  }
}
