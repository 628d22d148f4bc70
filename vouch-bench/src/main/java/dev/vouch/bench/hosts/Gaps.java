package dev.vouch.bench.hosts;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Missed and duplicated attestations of hosts polled every {@code poll}, judged from the times of
 * each host's attestations around a window. A gap {@code g} between consecutive attestations (or
 * between the window's start or end and the nearest attestation inside it, when there is none
 * before the start) longer than 1.5 polls misses {@code floor((g - poll/2) / poll)} of them; two
 * attestations less than half a poll apart, the later one in the window, are one duplicate. Half a
 * poll of tolerance either way absorbs the scheduler's jitter without hiding a whole lost round.
 */
final class Gaps {
  private final long pollNanos;
  private long missed;
  private long duplicated;

  Gaps(Duration poll) {
    if (poll.isZero() || poll.isNegative()) {
      throw new IllegalArgumentException("poll interval must be positive");
    }
    this.pollNanos = poll.toNanos();
  }

  /**
   * Adds one host's attestation times (ascending; times after {@code end} are ignored) for the
   * window {@code [start, end)}.
   */
  void add(List<Instant> sorted, Instant start, Instant end) {
    Instant previous = null;
    boolean any = false;
    for (Instant t : sorted) {
      if (!t.isBefore(end)) {
        break;
      }
      if (t.isBefore(start)) {
        previous = t;
        continue;
      }
      any = true;
      long gap = Duration.between(previous == null ? start : previous, t).toNanos();
      missed += misses(gap);
      if (previous != null && gap < pollNanos / 2) {
        duplicated++;
      }
      previous = t;
    }
    missed += misses(Duration.between(any || previous != null ? previous : start, end).toNanos());
  }

  private long misses(long gapNanos) {
    return gapNanos * 2 > pollNanos * 3 ? (gapNanos - pollNanos / 2) / pollNanos : 0;
  }

  long missed() {
    return missed;
  }

  long duplicated() {
    return duplicated;
  }
}
