package dev.vouch.policy;

import java.util.Locale;
import java.util.Optional;

/**
 * AR4SI trust tiers, ordered from best to worst after {@link #NONE}. Each tier has the
 * representative claim value this engine puts in a trustworthiness vector: affirming 2, warning 32,
 * contraindicated 96, none 0. {@code ear.status} is the worst tier over all categories.
 */
public enum Tier {
  NONE(0),
  AFFIRMING(2),
  WARNING(32),
  CONTRAINDICATED(96);

  private final int code;

  Tier(int code) {
    this.code = code;
  }

  /** The AR4SI claim value this engine uses for the tier. */
  public int code() {
    return code;
  }

  /** The spelling in {@code ear.status} and in policy documents, e.g. {@code contraindicated}. */
  public String earName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The worse of two tiers (none is better than affirming only in that it says nothing). */
  public Tier worst(Tier other) {
    return other.ordinal() > ordinal() ? other : this;
  }

  /**
   * The tier of any AR4SI claim value, as draft-ietf-rats-ar4si defines the ranges: -1..1 none, |v|
   * < 32 affirming, |v| < 96 warning, otherwise contraindicated.
   */
  public static Tier ofCode(int value) {
    int v = Math.abs(value);
    if (v <= 1) {
      return NONE;
    }
    if (v < 32) {
      return AFFIRMING;
    }
    if (v < 96) {
      return WARNING;
    }
    return CONTRAINDICATED;
  }

  /** The tier with the given {@code ear.status} spelling. */
  public static Optional<Tier> fromName(String name) {
    for (Tier t : values()) {
      if (t.earName().equals(name)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
