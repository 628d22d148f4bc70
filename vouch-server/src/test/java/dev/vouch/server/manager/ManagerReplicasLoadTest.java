package dev.vouch.server.manager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.sim.SimulatedFleet;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.server.hosts.HostAttestor;
import dev.vouch.server.hosts.NatsAgentChannel;
import dev.vouch.server.hosts.QuotePlan;
import dev.vouch.server.hosts.SimulatedEnrollment;
import dev.vouch.server.monitor.FlavorStore;
import dev.vouch.server.monitor.HostVerifier;
import dev.vouch.server.monitor.ServerIdentity;
import dev.vouch.server.monitor.TrustReportStore;
import dev.vouch.server.registrar.InMemoryEnrollmentStore;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sealer;
import dev.vouch.server.store.TestDatabases;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two scheduler replicas on one PostgreSQL database attest 500 simulated hosts over a real
 * nats-server with the server's whole host verification ({@link HostVerifier}: {@link HostAttestor}
 * over {@link NatsAgentChannel}, golden flavors, flavor match, signed reports stored) every 10 s;
 * one replica is killed mid-round. From the times the hosts served quotes it checks that every host
 * was attested once per round: none twice (two attestations of a host are never closer than the
 * interval, except once for a host the dead replica was attesting when it died, and then only after
 * that replica's lease ran out) and none missed (between two attestations of a host, or after its
 * last, the others are never attested one and a half rounds' worth: a host skipped while the rest
 * went round). Misses are counted in rounds rather than seconds so that a machine too busy to keep
 * the interval (every host late alike) is told apart from a host the replicas lost.
 */
class ManagerReplicasLoadTest {
  private static final int HOSTS = 500;
  private static final Duration INTERVAL = Duration.ofSeconds(10);
  private static final Duration LEASE = Duration.ofMillis(1500);
  private static final Duration RUN = INTERVAL.multipliedBy(3).plus(INTERVAL.dividedBy(2));

  /** How much earlier than due a quote may come: the claim-to-quote time of the previous round. */
  private static final Duration EARLY = Duration.ofMillis(1000);

  /** How long before A's death a quote A's result was lost for may have been served. */
  private static final Duration LATE = Duration.ofMillis(3000);

  private static final AttestationScheduler.Settings SETTINGS =
      new AttestationScheduler.Settings(
          new PollIntervals(INTERVAL, Map.of()), LEASE, 25, 16, Duration.ofMillis(50));

  /**
   * The replica's host worker: the server's whole host verification (quote, event log, golden
   * flavors, flavor match, signed report stored), with the round time measured.
   */
  private static final class AttestingWorker implements HostWorker {
    private final HostVerifier verifier;
    final Queue<Long> roundNanos = new ConcurrentLinkedQueue<>();
    final Map<String, Instant> lastStarted = new ConcurrentHashMap<>();

    AttestingWorker(HostVerifier verifier) {
      this.verifier = verifier;
    }

    @Override
    public AttestationOutcome attest(Host host) throws Exception {
      lastStarted.put(host.id(), Instant.now());
      long t0 = System.nanoTime();
      AttestationOutcome o = verifier.attest(host);
      roundNanos.add(System.nanoTime() - t0);
      return o;
    }
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

  private static AttestingWorker worker(
      InMemoryEnrollmentStore store, Connection nats, Database db) {
    HostAttestor attestor =
        new HostAttestor(
            store,
            new NatsAgentChannel(nats, Duration.ofSeconds(5)),
            QuotePlan.firmware(),
            Clock.systemUTC(),
            new SecureRandom());
    Clock clock = Clock.systemUTC();
    return new AttestingWorker(
        new HostVerifier(
            attestor,
            new FlavorStore(db),
            new TrustReportStore(db),
            ServerIdentity.loadOrCreate(db, new Sealer(new byte[32]), clock),
            HostVerifier.Settings.defaults(),
            clock));
  }

  /** Held so the level sticks: the verifier logs every attestation at INFO. */
  private static final java.util.logging.Logger VERIFIER_LOG =
      java.util.logging.Logger.getLogger("dev.vouch.server.hosts");

  @Test
  void twoReplicasAttestFiveHundredHostsOncePerIntervalThroughTheDeathOfOne() throws Exception {
    VERIFIER_LOG.setLevel(java.util.logging.Level.WARNING);
    try (TestDatabases.Handle h = TestDatabases.postgres();
        Database dbA = Database.open(h.url(), h.user(), Optional.empty(), 8);
        Database dbB = Database.open(h.url(), h.user(), Optional.empty(), 8);
        NatsServer nats = NatsServer.start();
        Connection hostSide = Nats.connect(nats.url());
        Connection natsA = Nats.connect(nats.url());
        Connection natsB = Nats.connect(nats.url());
        SimulatedFleet fleet = SimulatedFleet.start(hostSide, "sim", HOSTS)) {
      InMemoryEnrollmentStore storeA = new InMemoryEnrollmentStore();
      InMemoryEnrollmentStore storeB = new InMemoryEnrollmentStore();
      SimulatedEnrollment.enrollAll(fleet, storeA, Instant.now());
      SimulatedEnrollment.enrollAll(fleet, storeB, Instant.now());
      HostRegistry regA = new HostRegistry(dbA);
      HostRegistry regB = new HostRegistry(dbB);
      Instant registered = Instant.now();
      for (String id : fleet.hostIds()) {
        regA.register(id, "default", "nats:" + id, registered);
      }
      AttestingWorker workerA = worker(storeA, natsA, dbA);
      AttestingWorker workerB = worker(storeB, natsB, dbB);
      AttestationScheduler a =
          new AttestationScheduler(
              regA, "replica-a", Clock.systemUTC(), SETTINGS, workerA, c -> {});
      Instant killStart;
      Instant killEnd;
      Instant start;
      Instant end;
      try (AttestationScheduler b =
          new AttestationScheduler(
              regB, "replica-b", Clock.systemUTC(), SETTINGS, workerB, c -> {})) {
        start = Instant.now();
        a.start();
        b.start();
        // kill replica A a fifth into the second round, while it holds leases
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (fleet.totalServed() < HOSTS + HOSTS / 5 && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        killStart = Instant.now();
        a.close();
        killEnd = Instant.now();
        Thread.sleep(Duration.between(Instant.now(), start.plus(RUN)).toMillis());
        end = Instant.now();
      }

      // every quote served, in time order: a host skipped while the others went round is a miss
      // whatever the machine's speed (a slow machine makes every host late, not one)
      long[] all =
          fleet.hostIds().stream()
              .flatMap(id -> fleet.quotesServed(id).stream())
              .filter(t -> !t.isAfter(end))
              .mapToLong(ManagerReplicasLoadTest::micros)
              .sorted()
              .toArray();
      List<String> problems = new ArrayList<>();
      int retakes = 0;
      Duration firstRound = Duration.ZERO;
      Duration shortest = RUN;
      Duration longest = Duration.ZERO;
      for (String id : fleet.hostIds()) {
        List<Instant> quotes =
            fleet.quotesServed(id).stream().filter(t -> !t.isAfter(end)).toList();
        // the first round starts cold with every host due at once (on a busy machine it may take
        // most of an interval); the schedule is judged from each host's first attestation on
        if (quotes.size() < 2) {
          problems.add(id + ": attested " + quotes.size() + " times in " + RUN.toSeconds() + " s");
          continue;
        }
        firstRound = max(firstRound, Duration.between(start, quotes.get(0)));
        boolean retaken = false;
        for (int i = 1; i < quotes.size(); i++) {
          Duration gap = Duration.between(quotes.get(i - 1), quotes.get(i));
          longest = max(longest, gap);
          if (gap.compareTo(INTERVAL.minus(EARLY)) < 0) {
            Instant byA = workerA.lastStarted.get(id);
            boolean diedWithA =
                byA != null
                    && !byA.isAfter(killEnd)
                    && !quotes.get(i - 1).isBefore(killStart.minus(LATE))
                    && !quotes.get(i - 1).isAfter(killEnd)
                    && gap.compareTo(LEASE.minusMillis(100)) >= 0;
            if (!diedWithA || retaken) {
              problems.add(id + ": attested twice within " + gap.toMillis() + " ms");
            }
            retaken = true;
          } else {
            shortest = min(shortest, gap);
          }
          long others = servedBetween(all, quotes.get(i - 1), quotes.get(i)) - 1;
          if (others > HOSTS + HOSTS / 2) {
            problems.add(id + ": missed a round, " + others + " other attestations in between");
          }
        }
        if (retaken) {
          retakes++;
        }
        long after = servedBetween(all, quotes.get(quotes.size() - 1), end) - 1;
        if (after > HOSTS + HOSTS / 2) {
          problems.add(id + ": missed the last round, " + after + " other attestations since");
        }
      }

      long[] rounds =
          new ArrayList<Long>() {
            {
              addAll(workerA.roundNanos);
              addAll(workerB.roundNanos);
            }
          }.stream().mapToLong(Long::longValue).sorted().toArray();
      double seconds = Duration.between(start, end).toNanos() / 1e9;
      System.out.printf(
          "ManagerReplicasLoadTest: %d hosts, %d s interval, %.1f s run, 2 replicas (A killed at"
              + " %.1f s): %d attestations, %.0f attestations/s, quote round p50 %.1f ms p99 %.1f"
              + " ms, %d hosts re-attested after A's lease lapsed; first round done after %d ms,"
              + " gaps between attestations %d..%d ms%n",
          HOSTS,
          INTERVAL.toSeconds(),
          seconds,
          Duration.between(start, killStart).toMillis() / 1e3,
          rounds.length,
          rounds.length / seconds,
          rounds[rounds.length / 2] / 1e6,
          rounds[(int) (rounds.length * 0.99)] / 1e6,
          retakes,
          firstRound.toMillis(),
          shortest.toMillis(),
          longest.toMillis());

      assertThat(problems).isEmpty();
      assertThat(workerA.lastStarted.values()).allMatch(t -> !t.isAfter(killEnd));
      assertThat(workerB.roundNanos).hasSizeGreaterThan(HOSTS);
      List<Host> hosts = regA.list();
      assertThat(hosts).hasSize(HOSTS);
      assertThat(hosts).extracting(Host::status).containsOnly(HostStatus.VERIFIED);
    }
  }
}
