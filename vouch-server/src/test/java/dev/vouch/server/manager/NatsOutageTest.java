package dev.vouch.server.manager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.sim.SimulatedFleet;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.server.hosts.SimulatedEnrollment;
import dev.vouch.server.manager.RecordingWorker.Attempt;
import dev.vouch.server.monitor.HostMonitor;
import dev.vouch.server.monitor.NatsHostVerifiers;
import dev.vouch.server.registrar.InMemoryEnrollmentStore;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.TestDatabases;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The NATS server dies (SIGKILL) while the scheduler monitors 200 simulated hosts over it with the
 * server's whole host verification ({@link HostVerifier} over {@link NatsAgentChannel}, PostgreSQL
 * registry), and comes back on the same port. Server and hosts use the server's own NATS options
 * ({@link HostMonitor#natsOptions}: reconnect without limit) and must recover by themselves.
 *
 * <p>Asserted, with every outcome counted in the summary line: while NATS is down every host is
 * tried and comes out UNKNOWN for {@code agent-unreachable}, none in a failure status (an outage is
 * no evidence against a host); once NATS is back every host is VERIFIED again by a fresh quote; and
 * no host is attested twice within a poll interval (no retry storm, no duplicate attestation) at
 * any point of the run. Phases end on conditions, not on sleeps, with deadlines generous for a
 * loaded 2-core machine.
 */
class NatsOutageTest {
  private static final int HOSTS = 200;
  private static final Duration INTERVAL = Duration.ofSeconds(8);
  // a host claimed in a batch waits for a free worker before its attestation starts
  private static final Duration EARLY = Duration.ofMillis(1500);
  private static final Duration AGENT_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration PHASE_DEADLINE = Duration.ofSeconds(120);
  private static final AttestationScheduler.Settings SETTINGS =
      new AttestationScheduler.Settings(
          new PollIntervals(INTERVAL, Map.of()),
          Duration.ofSeconds(30),
          25,
          32,
          Duration.ofMillis(50));
  private static final java.util.logging.Logger VERIFIER_LOG =
      java.util.logging.Logger.getLogger("dev.vouch.server.hosts");

  @Test
  void hostsAreUnknownNotFailedWhileNatsIsDownAndVerifiedAgainOnceItReturns() throws Exception {
    VERIFIER_LOG.setLevel(java.util.logging.Level.WARNING);
    Instant setup = Instant.now();
    NatsServer nats = NatsServer.start();
    try (TestDatabases.Handle h = TestDatabases.postgres();
        Database db = Database.open(h.url(), h.user(), Optional.empty(), 8);
        Connection hostSide = Nats.connect(HostMonitor.natsOptions(nats.url()));
        Connection serverSide = Nats.connect(HostMonitor.natsOptions(nats.url()));
        SimulatedFleet fleet = SimulatedFleet.start(hostSide, "outage", HOSTS)) {
      InMemoryEnrollmentStore enrollments = new InMemoryEnrollmentStore();
      SimulatedEnrollment.enrollAll(fleet, enrollments, Instant.now());
      HostRegistry registry = new HostRegistry(db);
      for (String id : fleet.hostIds()) {
        registry.register(id, "default", "nats:" + id, Instant.now());
      }
      Clock clock = Clock.systemUTC();
      RecordingWorker worker =
          new RecordingWorker(
              NatsHostVerifiers.firmware(db, enrollments, serverSide, AGENT_TIMEOUT));
      Instant start = Instant.now();
      Instant firstRound;
      Instant killed;
      Instant restarted;
      Instant recovered;
      try (AttestationScheduler scheduler =
          new AttestationScheduler(registry, "replica", clock, SETTINGS, worker, c -> {})) {
        scheduler.start();
        awaitEveryHost(registry, s -> s == HostStatus.VERIFIED, "verified before the outage");
        firstRound = Instant.now();

        killed = Instant.now();
        nats =
            nats.killAndRestart(
                () -> {
                  // down until every host was tried and found unreachable
                  try {
                    awaitEveryHostTried(worker, killed);
                    awaitEveryHost(registry, s -> s == HostStatus.UNKNOWN, "unknown in the outage");
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                  }
                });
        restarted = Instant.now();
        awaitEveryHostTriedAndVerified(worker, registry, restarted);
        recovered = Instant.now();
      } finally {
        nats.close();
      }

      List<Attempt> before = worker.between(start, killed);
      List<Attempt> during = worker.between(killed, restarted);
      List<Attempt> after = worker.between(restarted, Instant.MAX);
      Map<HostStatus, Long> duringByStatus = count(during);
      System.out.printf(
          "NatsOutageTest: %d hosts, %d s interval; set up in %.1f s, all verified %.1f s later;"
              + " before the kill %d attestations %s; NATS down"
              + " %.1f s: %d attestations %s; back %.1f s later all verified: %d attestations %s;"
              + " %d quotes served by the hosts%n",
          HOSTS,
          INTERVAL.toSeconds(),
          Duration.between(setup, start).toMillis() / 1e3,
          Duration.between(start, firstRound).toMillis() / 1e3,
          before.size(),
          count(before),
          Duration.between(killed, restarted).toMillis() / 1e3,
          during.size(),
          duringByStatus,
          Duration.between(restarted, recovered).toMillis() / 1e3,
          after.size(),
          count(after),
          fleet.totalServed());

      // an outage is no evidence against a host: unknown (agent unreachable), never failed
      for (Attempt a : during) {
        if (a.outcome().status() != HostStatus.VERIFIED) {
          assertThat(a.outcome().status()).isEqualTo(HostStatus.UNKNOWN);
          assertThat(a.outcome().reasons())
              .singleElement()
              .asString()
              .startsWith(AttestationOutcome.AGENT_UNREACHABLE + ": ");
        }
      }
      assertThat(worker.attempts).noneMatch(a -> a.outcome().status().isFailure());
      // requests made while NATS was down are not replayed to the hosts when it returns: only
      // those in flight at the kill may reach a host after their attestation gave up
      long verified =
          worker.attempts.stream().filter(a -> a.outcome().status() == HostStatus.VERIFIED).count();
      assertThat(fleet.totalServed() - verified).isLessThanOrEqualTo(SETTINGS.maxConcurrency());
      // once per interval, outage or not: no retry storm and no duplicate attestation
      assertThat(duplicates(worker)).isEmpty();
    }
  }

  private static Map<HostStatus, Long> count(List<Attempt> attempts) {
    return RecordingWorker.count(attempts);
  }

  private static List<String> duplicates(RecordingWorker worker) {
    Map<String, List<Instant>> byHost = new ConcurrentHashMap<>();
    worker.attempts.forEach(
        a -> byHost.computeIfAbsent(a.host(), k -> new ArrayList<>()).add(a.started()));
    List<String> out = new ArrayList<>();
    byHost.forEach(
        (host, times) -> {
          List<Instant> sorted = times.stream().sorted().toList();
          for (int i = 1; i < sorted.size(); i++) {
            Duration gap = Duration.between(sorted.get(i - 1), sorted.get(i));
            if (gap.compareTo(INTERVAL.minus(EARLY)) < 0) {
              out.add(host + " attested twice within " + gap.toMillis() + " ms");
            }
          }
        });
    return out;
  }

  private static void awaitEveryHost(HostRegistry registry, Predicate<HostStatus> s, String what)
      throws InterruptedException {
    await(() -> registry.list().stream().allMatch(h -> s.test(h.status())), "every host " + what);
  }

  private static void awaitEveryHostTried(RecordingWorker worker, Instant since)
      throws InterruptedException {
    await(
        () ->
            worker.between(since, Instant.MAX).stream().map(Attempt::host).distinct().count()
                == HOSTS,
        "every host tried while NATS is down");
  }

  private static void awaitEveryHostTriedAndVerified(
      RecordingWorker worker, HostRegistry registry, Instant since) throws InterruptedException {
    await(
        () ->
            worker.between(since, Instant.MAX).stream()
                        .filter(a -> a.outcome().status() == HostStatus.VERIFIED)
                        .map(Attempt::host)
                        .distinct()
                        .count()
                    == HOSTS
                && registry.list().stream().allMatch(h -> h.status() == HostStatus.VERIFIED),
        "every host verified by a fresh quote after NATS returned");
  }

  private static void await(java.util.function.BooleanSupplier done, String what)
      throws InterruptedException {
    RecordingWorker.await(done, PHASE_DEADLINE, what);
  }
}
