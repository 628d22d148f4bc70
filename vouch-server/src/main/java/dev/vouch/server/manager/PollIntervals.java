package dev.vouch.server.manager;

import java.time.Duration;
import java.util.Map;

/**
 * How often hosts are re-attested: one interval per host group, and a default for the others.
 *
 * @param defaultInterval the interval of groups not named in {@code byGroup} (60 minutes by {@link
 *     #hourly()})
 * @param byGroup intervals of named host groups
 */
public record PollIntervals(Duration defaultInterval, Map<String, Duration> byGroup) {
  public PollIntervals {
    byGroup = Map.copyOf(byGroup);
    requirePositive(defaultInterval);
    byGroup.values().forEach(PollIntervals::requirePositive);
  }

  /** Every group every 60 minutes. */
  public static PollIntervals hourly() {
    return new PollIntervals(Duration.ofMinutes(60), Map.of());
  }

  /** The interval of {@code group}. */
  public Duration forGroup(String group) {
    return byGroup.getOrDefault(group, defaultInterval);
  }

  private static void requirePositive(Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("poll interval must be positive: " + d);
    }
  }
}
