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
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Two scheduler replicas on one PostgreSQL database attest 500 simulated hosts over a real
 * nats-server with the server's whole host verification ({@link HostVerifier}: {@link HostAttestor}
 * over {@link NatsAgentChannel}, golden flavors, flavor match, signed reports stored) every 10 s;
 * one replica is killed mid-round. {@link OncePerInterval} judges from the times the hosts served
 * quotes that every host was attested once per round, none twice and none missed.
 */
class ManagerReplicasLoadTest {
  private static final int HOSTS = 500;
  private static final Duration INTERVAL = Duration.ofSeconds(10);
  private static final Duration LEASE = Duration.ofMillis(1500);
  private static final Duration RUN = INTERVAL.multipliedBy(3).plus(INTERVAL.dividedBy(2));

  /**
   * How much earlier than due a quote may come at least: the claim-to-quote time of the previous
   * round. On a loaded machine it is longer, and the run's own longest claim-to-result time is
   * used.
   */
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
    final AtomicLong longestClaimToResultNanos = new AtomicLong();

    AttestingWorker(HostVerifier verifier) {
      this.verifier = verifier;
    }

    @Override
    public AttestationOutcome attest(Host host) throws Exception {
      lastStarted.put(host.id(), Instant.now());
      long t0 = System.nanoTime();
      AttestationOutcome o = verifier.attest(host);
      roundNanos.add(System.nanoTime() - t0);
      // the next round is due a poll after the claim, so a quote served late in this one (the
      // host waited for a worker, or the machine is busy) makes the next gap shorter by as much
      Instant claimed = host.leaseUntil().orElseThrow().minus(LEASE);
      longestClaimToResultNanos.accumulateAndGet(
          Duration.between(claimed, Instant.now()).toNanos(), Math::max);
      return o;
    }
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
      Map<String, Instant> killedLeases;
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
        killedLeases = OncePerInterval.leasesOf(regB, "replica-a");
        killStart = Instant.now();
        a.close();
        killEnd = Instant.now();
        killedLeases.putAll(OncePerInterval.leasesOf(regB, "replica-a"));
        Thread.sleep(Duration.between(Instant.now(), start.plus(RUN)).toMillis());
        end = Instant.now();
      }

      Duration claimToResult =
          Duration.ofNanos(
              Math.max(
                  workerA.longestClaimToResultNanos.get(),
                  workerB.longestClaimToResultNanos.get()));
      // beyond half an interval "once per interval" could no longer tell a retake from a round
      assertThat(claimToResult)
          .as("longest claim-to-result time; the machine is too busy for this test")
          .isLessThan(INTERVAL.dividedBy(2));
      Duration early = claimToResult.compareTo(EARLY) > 0 ? claimToResult : EARLY;
      OncePerInterval.Verdict v =
          OncePerInterval.check(
              fleet,
              new OncePerInterval.Schedule(INTERVAL, early, LATE),
              new OncePerInterval.Run(start, end, killStart, killEnd),
              killedLeases);

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
              + " gaps between attestations %d..%d ms, longest claim to result %d ms%n",
          HOSTS,
          INTERVAL.toSeconds(),
          seconds,
          Duration.between(start, killStart).toMillis() / 1e3,
          rounds.length,
          rounds.length / seconds,
          rounds[rounds.length / 2] / 1e6,
          rounds[(int) (rounds.length * 0.99)] / 1e6,
          v.retakes(),
          v.firstRound().toMillis(),
          v.shortestGap().toMillis(),
          v.longestGap().toMillis(),
          claimToResult.toMillis());

      assertThat(v.problems()).isEmpty();
      assertThat(workerA.lastStarted.values()).allMatch(t -> !t.isAfter(killEnd));
      assertThat(workerB.roundNanos).hasSizeGreaterThan(HOSTS);
      List<Host> hosts = regA.list();
      assertThat(hosts).hasSize(HOSTS);
      assertThat(hosts).extracting(Host::status).containsOnly(HostStatus.VERIFIED);
    }
  }
}
