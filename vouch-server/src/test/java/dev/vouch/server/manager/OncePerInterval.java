package dev.vouch.server.manager;

import dev.vouch.agent.sim.SimulatedFleet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Judges, from the times a {@link SimulatedFleet}'s hosts served quotes, whether replicas that
 * share one host registry attested every host once per poll interval while one of them was killed
 * mid-run.
 *
 * <ul>
 *   <li>None twice: two attestations of a host are never closer than the interval less {@code
 *       early}, except once for a host the killed replica held when it died, and then only after
 *       that replica's lease on the host ran out.
 *   <li>None missed: between two attestations of a host, or after its last, the other hosts are
 *       never attested one and a half rounds' worth (a host skipped while the rest went round).
 *       Misses are counted in rounds rather than seconds so that a machine too busy to keep the
 *       interval (every host late alike) is told apart from a host the replicas lost; the
 *       attestations made while a host waited for the killed replica's lease on it to run out do
 *       not count.
 * </ul>
 *
 * <p>The first round starts cold with every host due at once (on a busy machine it may take most of
 * an interval), so the schedule is judged from each host's first attestation on.
 */
public final class OncePerInterval {
  private OncePerInterval() {}

  /**
   * The schedule the replicas were given and how much slack a busy machine gets.
   *
   * @param interval the poll interval
   * @param early how much earlier than due a quote may come: the longest claim-to-quote time of a
   *     round (a host claimed in a batch waits for a free worker before its quote is asked for)
   * @param late how long before the kill a quote whose result died with the replica may have been
   *     served (the time from quote to recorded result)
   */
  public record Schedule(Duration interval, Duration early, Duration late) {}

  /**
   * The run being judged.
   *
   * @param start when the replicas started
   * @param end quotes after it are not judged
   * @param killStart when the replica's shutdown began
   * @param killedUntil until when a quote the killed replica asked for may have been served: when
   *     its shutdown ended, or later when requests it sent may still have been on their way
   */
  public record Run(Instant start, Instant end, Instant killStart, Instant killedUntil) {}

  /**
   * What the check found.
   *
   * @param problems one line per host attested twice or missed; empty when the run passed
   * @param quotes quotes served in the run
   * @param retakes hosts attested again after the killed replica's lease lapsed
   * @param firstRound when the last host's first attestation came, from the start
   * @param shortestGap the shortest gap between two attestations of a host, retakes aside
   * @param longestGap the longest gap between two attestations of a host
   */
  public record Verdict(
      List<String> problems,
      int quotes,
      int retakes,
      Duration firstRound,
      Duration shortestGap,
      Duration longestGap) {}

  /**
   * Checks every host of {@code fleet}.
   *
   * @param killedLeases the hosts the killed replica held leases on when it died, and when each
   *     lease ran out (the registry's {@code lease_until})
   */
  public static Verdict check(
      SimulatedFleet fleet, Schedule schedule, Run run, Map<String, Instant> killedLeases) {
    long[] all =
        fleet.hostIds().stream()
            .flatMap(id -> fleet.quotesServed(id).stream())
            .filter(t -> !t.isAfter(run.end()))
            .mapToLong(OncePerInterval::micros)
            .sorted()
            .toArray();
    int hosts = fleet.hostIds().size();
    Duration length = Duration.between(run.start(), run.end());
    List<String> problems = new ArrayList<>();
    int retakes = 0;
    Duration firstRound = Duration.ZERO;
    Duration shortest = length;
    Duration longest = Duration.ZERO;
    for (String id : fleet.hostIds()) {
      List<Instant> quotes =
          fleet.quotesServed(id).stream().filter(t -> !t.isAfter(run.end())).toList();
      if (quotes.size() < 2) {
        problems.add(id + ": attested " + quotes.size() + " times in " + length.toSeconds() + " s");
        continue;
      }
      firstRound = max(firstRound, Duration.between(run.start(), quotes.get(0)));
      boolean retaken = false;
      Instant leaseEnd = killedLeases.get(id);
      for (int i = 1; i < quotes.size(); i++) {
        Instant previous = quotes.get(i - 1);
        Duration gap = Duration.between(previous, quotes.get(i));
        longest = max(longest, gap);
        if (gap.compareTo(schedule.interval().minus(schedule.early())) < 0) {
          boolean diedWithKilled =
              leaseEnd != null
                  && !previous.isBefore(run.killStart().minus(schedule.late()))
                  // until its lease ends only the killed replica can have asked: a quote served
                  // after the kill answers a request it sent before
                  && previous.isBefore(leaseEnd)
                  && quotes.get(i).isAfter(leaseEnd);
          if (!diedWithKilled || retaken) {
            problems.add(
                String.format(
                    "%s: attested twice within %d ms (at %+.3f s and %+.3f s from the kill;"
                        + " the killed replica's lease on it %s)",
                    id,
                    gap.toMillis(),
                    seconds(run.killStart(), previous),
                    seconds(run.killStart(), quotes.get(i)),
                    leaseEnd == null
                        ? "none"
                        : String.format("until %+.3f s", seconds(run.killStart(), leaseEnd))));
          }
          retaken = true;
        } else {
          shortest = min(shortest, gap);
        }
        missed(all, run, hosts, leaseEnd, previous, quotes.get(i))
            .ifPresent(why -> problems.add(id + ": missed a round, " + why));
      }
      if (retaken) {
        retakes++;
      }
      missed(all, run, hosts, killedLeases.get(id), quotes.get(quotes.size() - 1), run.end())
          .ifPresent(why -> problems.add(id + ": missed the last round, " + why));
    }
    return new Verdict(problems, all.length, retakes, firstRound, shortest, longest);
  }

  /**
   * The leases {@code owner} holds in {@code registry}: host id to when the lease runs out. Read it
   * just before killing the replica and again just after, the later read winning, to have every
   * lease it died with.
   */
  public static Map<String, Instant> leasesOf(HostRegistry registry, String owner) {
    Map<String, Instant> out = new HashMap<>();
    for (Host h : registry.list()) {
      if (h.leaseOwner().equals(Optional.of(owner)) && h.leaseUntil().isPresent()) {
        out.put(h.id(), h.leaseUntil().get());
      }
    }
    return out;
  }

  /**
   * Why the host attested at {@code from} and next at {@code to} missed a round, if it did: the
   * others were attested one and a half rounds' worth in between. When the killed replica's lease
   * on the host ran out in between ({@code leaseEnd}, null when it held none), the wait for it does
   * not count: the host missed a round if the others went one and a half rounds from its last
   * attestation to the kill, or a whole round from the lease's end to its next attestation.
   */
  private static Optional<String> missed(
      long[] all, Run run, int hosts, Instant leaseEnd, Instant from, Instant to) {
    long roundAndHalf = hosts + hosts / 2;
    if (leaseEnd == null || leaseEnd.isBefore(from) || leaseEnd.isAfter(to)) {
      long others = servedBetween(all, from, to) - 1;
      return others > roundAndHalf
          ? Optional.of(others + " other attestations in between")
          : Optional.empty();
    }
    long before =
        from.isBefore(run.killStart()) ? servedBetween(all, from, run.killStart()) - 1 : 0;
    long after = servedBetween(all, leaseEnd, to) - (to.equals(run.end()) ? 0 : 1);
    if (before > roundAndHalf) {
      return Optional.of(before + " other attestations before the kill");
    }
    return after > hosts
        ? Optional.of(after + " other attestations after the killed replica's lease ran out")
        : Optional.empty();
  }

  private static double seconds(Instant from, Instant to) {
    return Duration.between(from, to).toMillis() / 1e3;
  }

  private static long micros(Instant t) {
    return TimeUnit.SECONDS.toMicros(t.getEpochSecond()) + t.getNano() / 1000;
  }

  /** How many of the sorted quote times lie in [from, to]. */
  private static long servedBetween(long[] all, Instant from, Instant to) {
    return upperBound(all, micros(to)) - upperBound(all, micros(from) - 1);
  }

  /** The number of entries of sorted {@code a} that are at most {@code key}. */
  private static int upperBound(long[] a, long key) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] <= key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
