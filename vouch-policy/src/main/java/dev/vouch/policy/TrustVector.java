package dev.vouch.policy;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An AR4SI trustworthiness vector: one claim value per {@link Category} (0 when nothing was
 * appraised). Immutable.
 */
public record TrustVector(Map<Category, Integer> values) {

  public TrustVector {
    EnumMap<Category, Integer> copy = new EnumMap<>(Category.class);
    for (Category c : Category.values()) {
      copy.put(c, values.getOrDefault(c, 0));
    }
    values = Collections.unmodifiableMap(copy);
  }

  /** The claim value of one category. */
  public int get(Category category) {
    return values.get(category);
  }

  /** The worst tier over all categories: the {@code ear.status}. */
  public Tier status() {
    Tier worst = Tier.NONE;
    for (int v : values.values()) {
      worst = worst.worst(Tier.ofCode(v));
    }
    return worst;
  }

  /** The vector as an EAR {@code ear.trustworthiness-vector} object (hyphenated keys). */
  public Map<String, Object> toEar() {
    Map<String, Object> m = new LinkedHashMap<>();
    values.forEach((c, v) -> m.put(c.earName(), v));
    return m;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    values.forEach(
        (c, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(c.policyName()).append('=').append(v));
    return sb.toString();
  }
}
