package dev.vouch.server.manager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.server.actions.StatusChange;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.TestDatabases;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The scheduler on H2 and PostgreSQL, with two replicas (two owners, two connection pools over one
 * database) attesting 200 hosts concurrently under a clock the test moves by whole poll intervals.
 */
class AttestationSchedulerTest {
  private static final int HOSTS = 200;
  private static final Duration POLL = Duration.ofMinutes(10);
  private static final Duration LEASE = Duration.ofMinutes(1);
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir Path dir;

  static Stream<String> databases() {
    return Stream.of("h2", "postgresql");
  }

  private TestDatabases.Handle handle(String kind) {
    return kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres();
  }

  private static AttestationScheduler.Settings settings(int batch, int concurrency) {
    return new AttestationScheduler.Settings(
        new PollIntervals(POLL, Map.of("fast", Duration.ofMinutes(5))),
        LEASE,
        batch,
        concurrency,
        Duration.ofMillis(20));
  }

  private static void enrol(HostRegistry registry, int n) {
    for (int i = 0; i < n; i++) {
      registry.register("host-" + i, "default", "nats:host-" + i, T0);
    }
  }

  /** Runs rounds until nothing claimable is left at {@code now}. */
  private static int drain(AttestationScheduler s, HostRegistry registry, Instant now)
      throws InterruptedException {
    int total = 0;
    while (true) {
      int n = s.runOnce(now);
      total += n;
      if (n == 0 && registry.countClaimable(now) == 0) {
        return total;
      }
    }
  }

  /** Records worker calls per host and any moment two owners hold the same host. */
  private static final class Recorder {
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    final Map<String, String> inFlight = new ConcurrentHashMap<>();
    final List<String> overlaps = new CopyOnWriteArrayList<>();
    final Map<String, AtomicInteger> byOwner = new ConcurrentHashMap<>();

    HostWorker worker(String owner) {
      return host -> {
        String other = inFlight.putIfAbsent(host.id(), owner);
        if (other != null) {
          overlaps.add(host.id() + " by " + owner + " and " + other);
        }
        try {
          calls.computeIfAbsent(host.id(), k -> new AtomicInteger()).incrementAndGet();
          byOwner.computeIfAbsent(owner, k -> new AtomicInteger()).incrementAndGet();
          // a short random attestation time widens the window in which replicas could collide
          Thread.sleep(ThreadLocalRandom.current().nextInt(3));
          return AttestationOutcome.of(HostStatus.VERIFIED);
        } finally {
          inFlight.remove(host.id(), owner);
        }
      };
    }

    void reset() {
      calls.clear();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void twoReplicasAttestEveryHostExactlyOncePerIntervalAndNeverTogether(String kind)
      throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database dbA = h.open();
        Database dbB = h.open()) {
      HostRegistry regA = new HostRegistry(dbA);
      HostRegistry regB = new HostRegistry(dbB);
      enrol(regA, HOSTS);
      MutableClock clock = new MutableClock(T0);
      Recorder rec = new Recorder();
      List<StatusChange> changes = new CopyOnWriteArrayList<>();
      try (AttestationScheduler a =
              new AttestationScheduler(
                  regA,
                  "replica-a",
                  clock,
                  settings(20, 8),
                  rec.worker("replica-a"),
                  changes::add);
          AttestationScheduler b =
              new AttestationScheduler(
                  regB,
                  "replica-b",
                  clock,
                  settings(20, 8),
                  rec.worker("replica-b"),
                  changes::add)) {
        for (int interval = 0; interval < 3; interval++) {
          rec.reset();
          Instant now = clock.instant();
          CountDownLatch go = new CountDownLatch(1);
          AtomicInteger recorded = new AtomicInteger();
          List<Throwable> errors = new CopyOnWriteArrayList<>();
          List<Thread> replicas = new ArrayList<>();
          for (AttestationScheduler s : List.of(a, b)) {
            HostRegistry reg = s == a ? regA : regB;
            replicas.add(
                Thread.ofPlatform()
                    .start(
                        () -> {
                          try {
                            go.await();
                            recorded.addAndGet(drain(s, reg, now));
                          } catch (Throwable e) {
                            errors.add(e);
                          }
                        }));
          }
          go.countDown();
          for (Thread t : replicas) {
            t.join(TimeUnit.SECONDS.toMillis(30));
          }
          assertThat(errors).isEmpty();
          assertThat(rec.overlaps).as("hosts attested by two owners at once").isEmpty();
          assertThat(rec.calls).hasSize(HOSTS);
          assertThat(rec.calls.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
          assertThat(recorded.get()).isEqualTo(HOSTS);

          // half an interval later nothing is due for either replica
          Instant half = now.plus(POLL.dividedBy(2));
          assertThat(a.runOnce(half)).isZero();
          assertThat(b.runOnce(half)).isZero();
          clock.advance(POLL);
        }
        assertThat(rec.byOwner.get("replica-a").get()).isPositive();
        assertThat(rec.byOwner.get("replica-b").get()).isPositive();
      }
      // one change per host (UNKNOWN to VERIFIED), written with its history row
      assertThat(changes).hasSize(HOSTS);
      assertThat(regA.history("host-3"))
          .singleElement()
          .satisfies(
              c -> {
                assertThat(c.previous()).isEqualTo(HostStatus.UNKNOWN);
                assertThat(c.current()).isEqualTo(HostStatus.VERIFIED);
                assertThat(c.time()).isEqualTo(T0);
              });
      assertThat(regB.list())
          .allSatisfy(
              host -> {
                assertThat(host.leaseOwner()).isEmpty();
                assertThat(host.nextDue()).isEqualTo(T0.plus(POLL.multipliedBy(3)));
                assertThat(host.lastAttested()).contains(T0.plus(POLL.multipliedBy(2)));
              });
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void aStoppedReplicasLeasesExpireAndTheOtherReplicaAttestsItsHosts(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database dbB = h.open()) {
      HostRegistry regB = new HostRegistry(dbB);
      enrol(regB, HOSTS);
      MutableClock clock = new MutableClock(T0);
      Recorder rec = new Recorder();
      Set<String> heldByA = ConcurrentHashMap.newKeySet();
      CountDownLatch aBusy = new CountDownLatch(25);
      Database dbA = h.open();
      AttestationScheduler a =
          new AttestationScheduler(
              new HostRegistry(dbA),
              "replica-a",
              clock,
              settings(25, 25),
              host -> {
                heldByA.add(host.id());
                aBusy.countDown();
                // a replica that hangs mid-attestation and is then killed
                new CountDownLatch(1).await();
                return AttestationOutcome.of(HostStatus.VERIFIED);
              },
              c -> {});
      Thread aRound =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      a.runOnce(T0);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  });
      assertThat(aBusy.await(20, TimeUnit.SECONDS)).isTrue();
      a.close();
      dbA.close();
      aRound.join(10_000);

      try (AttestationScheduler b =
          new AttestationScheduler(
              regB, "replica-b", clock, settings(20, 8), rec.worker("replica-b"), c -> {})) {
        // A's leases are still live: B takes every other host and leaves A's alone
        assertThat(drain(b, regB, T0)).isEqualTo(HOSTS - 25);
        assertThat(rec.calls.keySet()).doesNotContainAnyElementsOf(heldByA);
        assertThat(regB.list())
            .filteredOn(host -> heldByA.contains(host.id()))
            .hasSize(25)
            .allSatisfy(host -> assertThat(host.leaseOwner()).contains("replica-a"));

        // once A's leases run out, B claims those hosts too; nothing is missed or repeated
        clock.advance(LEASE.plusSeconds(1));
        assertThat(drain(b, regB, clock.instant())).isEqualTo(25);
        assertThat(rec.calls).hasSize(HOSTS);
        assertThat(rec.calls.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
        assertThat(regB.list())
            .allSatisfy(
                host -> {
                  assertThat(host.status()).isEqualTo(HostStatus.VERIFIED);
                  assertThat(host.leaseOwner()).isEmpty();
                });
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void aShortenedPollIntervalAppliesAtOnceNotAfterThePreviouslyScheduledTime(String kind)
      throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      HostRegistry reg = new HostRegistry(db);
      enrol(reg, 2);
      reg.register("host-f", "fast", "nats:host-f", T0);
      MutableClock clock = new MutableClock(T0);
      AttestationWorkerStub verified = new AttestationWorkerStub();
      try (AttestationScheduler hourly =
          new AttestationScheduler(
              reg,
              "replica-a",
              clock,
              new AttestationScheduler.Settings(
                  new PollIntervals(Duration.ofHours(1), Map.of()),
                  LEASE,
                  10,
                  4,
                  Duration.ofMillis(20)),
              verified,
              c -> {})) {
        assertThat(drain(hourly, reg, T0)).isEqualTo(3);
      }
      assertThat(reg.get("host-0").orElseThrow().nextDue()).isEqualTo(T0.plus(Duration.ofHours(1)));
      clock.advance(Duration.ofMinutes(2));
      // restarted with the default interval POLL and 5 minutes for group "fast"
      try (AttestationScheduler shorter =
          new AttestationScheduler(reg, "replica-a", clock, settings(10, 4), verified, c -> {})) {
        assertThat(shorter.applyIntervals(clock.instant())).isEqualTo(3);
        assertThat(reg.get("host-0").orElseThrow().nextDue()).isEqualTo(T0.plus(POLL));
        assertThat(reg.get("host-f").orElseThrow().nextDue())
            .isEqualTo(T0.plus(Duration.ofMinutes(5)));
        // applying again moves nothing; a longer interval never pushes a host back
        assertThat(shorter.applyIntervals(clock.instant())).isZero();
        assertThat(reg.dueNoLaterThan("host-0", T0.plus(Duration.ofHours(2)))).isFalse();
        assertThat(reg.get("host-0").orElseThrow().nextDue()).isEqualTo(T0.plus(POLL));
      }
    }
  }

  /** A worker that finds every host VERIFIED. */
  private static final class AttestationWorkerStub implements HostWorker {
    @Override
    public AttestationOutcome attest(dev.vouch.server.manager.Host host) {
      return AttestationOutcome.of(HostStatus.VERIFIED);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void triggerNowAndAResetCountChangeMakeAHostDueBeforeItsInterval(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      HostRegistry reg = new HostRegistry(db);
      enrol(reg, 5);
      MutableClock clock = new MutableClock(T0);
      List<String> attested = new CopyOnWriteArrayList<>();
      AtomicInteger announceDuring = new AtomicInteger(-1);
      try (AttestationScheduler s =
          new AttestationScheduler(
              reg,
              "replica-a",
              clock,
              settings(10, 4),
              host -> {
                attested.add(host.id());
                if (host.id().equals("host-" + announceDuring.get())) {
                  // the agent announces itself again while its attestation is under way
                  announceDuring.set(-1);
                  reg.triggerNow(host.id(), clock.instant());
                }
                return AttestationOutcome.of(HostStatus.VERIFIED);
              },
              c -> {})) {
        assertThat(drain(s, reg, T0)).isEqualTo(5);
        clock.advance(Duration.ofMinutes(3));
        Instant now = clock.instant();
        assertThat(s.runOnce(now)).isZero();

        attested.clear();
        assertThat(s.triggerNow("host-2")).isTrue();
        assertThat(s.triggerNow("no-such-host")).isFalse();
        assertThat(s.runOnce(now)).isEqualTo(1);
        assertThat(attested).containsExactly("host-2");
        assertThat(reg.get("host-2").orElseThrow().nextDue()).isEqualTo(now.plus(POLL));

        // a trigger that arrives during the attestation is not swallowed by it
        attested.clear();
        announceDuring.set(4);
        reg.triggerNow("host-4", now);
        assertThat(s.runOnce(now)).isEqualTo(1);
        assertThat(reg.get("host-4").orElseThrow().nextDue()).isEqualTo(now);
        assertThat(s.runOnce(now)).isEqualTo(1);
        assertThat(attested).containsExactly("host-4", "host-4");
        assertThat(reg.get("host-4").orElseThrow().nextDue()).isEqualTo(now.plus(POLL));

        // the first reset count is only recorded; a different one triggers a re-attestation
        attested.clear();
        assertThat(reg.observeResetCount("host-1", 7, now)).isFalse();
        assertThat(reg.observeResetCount("host-1", 7, now)).isFalse();
        assertThat(s.runOnce(now)).isZero();
        assertThat(reg.observeResetCount("host-1", 8, now)).isTrue();
        assertThat(reg.get("host-1").orElseThrow().lastResetCount()).hasValue(8);
        assertThat(s.runOnce(now)).isEqualTo(1);
        assertThat(attested).containsExactly("host-1");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void statusChangesAreRecordedWithReasonsAndGroupsKeepTheirOwnInterval(String kind)
      throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      HostRegistry reg = new HostRegistry(db);
      assertThat(reg.register("slow", "default", "https://slow:9443", T0)).isTrue();
      assertThat(reg.register("fast", "fast", "https://fast:9443", T0)).isTrue();
      assertThat(reg.register("fast", "default", "elsewhere", T0)).isFalse();
      assertThat(reg.get("fast").orElseThrow().connection()).isEqualTo("https://fast:9443");
      MutableClock clock = new MutableClock(T0);
      Map<String, HostStatus> next = new ConcurrentHashMap<>();
      List<StatusChange> changes = new CopyOnWriteArrayList<>();
      try (AttestationScheduler s =
          new AttestationScheduler(
              reg,
              "replica-a",
              clock,
              settings(10, 2),
              host -> {
                HostStatus st = next.getOrDefault(host.id(), HostStatus.VERIFIED);
                if (st == HostStatus.UNKNOWN) {
                  throw new java.io.IOException("agent unreachable");
                }
                return new AttestationOutcome(
                    st,
                    st.isFailure() ? List.of("pcr 7 mismatch") : List.of(),
                    java.util.Optional.of("report-" + host.id()));
              },
              changes::add)) {
        assertThat(s.runOnce(T0)).isEqualTo(2);
        assertThat(reg.get("slow").orElseThrow().lastReportId()).contains("report-slow");

        // after 5 minutes only the fast group is due
        clock.advance(Duration.ofMinutes(5));
        next.put("fast", HostStatus.ATTESTATION_FAILED);
        assertThat(s.runOnce(clock.instant())).isEqualTo(1);
        assertThat(reg.get("fast").orElseThrow().status()).isEqualTo(HostStatus.ATTESTATION_FAILED);

        // same status again: no new history row; then an error leaves the failed host failed,
        // with its failed report, and the new reason recorded
        clock.advance(Duration.ofMinutes(5));
        assertThat(s.runOnce(clock.instant())).isEqualTo(2);
        clock.advance(Duration.ofMinutes(5));
        next.put("fast", HostStatus.UNKNOWN);
        assertThat(s.runOnce(clock.instant())).isEqualTo(1);
        assertThat(reg.get("fast").orElseThrow().status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
        assertThat(reg.get("fast").orElseThrow().lastReportId()).contains("report-fast");
        // the same error again writes no further row
        clock.advance(Duration.ofMinutes(5));
        assertThat(s.runOnce(clock.instant())).isEqualTo(2);
      }
      assertThat(reg.history("fast"))
          .extracting(StatusChange::current)
          .containsExactly(
              HostStatus.VERIFIED, HostStatus.ATTESTATION_FAILED, HostStatus.ATTESTATION_FAILED);
      assertThat(reg.history("fast").get(1).reasons()).containsExactly("pcr 7 mismatch");
      assertThat(reg.history("fast").get(2).reasons())
          .singleElement()
          .asString()
          .startsWith("attestation-incomplete: ")
          .contains("agent unreachable");
      assertThat(reg.history("slow")).hasSize(1);
      assertThat(changes).hasSize(4);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void aChangedBaselineOfAVerifiedHostIsAnEventButNoStatusRow(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      HostRegistry reg = new HostRegistry(db);
      reg.register("h1", "default", "nats", T0);
      dev.vouch.policy.flavor.BaselineChange changed =
          new dev.vouch.policy.flavor.BaselineChange(
              java.util.OptionalLong.of(1),
              2,
              true,
              List.of(
                  new dev.vouch.policy.flavor.BaselineChange.PcrChange(
                      "SHA256", 1, "aa".repeat(32), "cc".repeat(32), false, List.of(), List.of())));
      List<java.util.Optional<dev.vouch.policy.flavor.BaselineChange>> outcomes =
          new CopyOnWriteArrayList<>(
              List.of(
                  java.util.Optional.empty(),
                  java.util.Optional.of(changed),
                  java.util.Optional.empty()));
      List<StatusChange> changes = new CopyOnWriteArrayList<>();
      MutableClock clock = new MutableClock(T0);
      try (AttestationScheduler s =
          new AttestationScheduler(
              reg,
              "replica-a",
              clock,
              settings(10, 2),
              host ->
                  new AttestationOutcome(
                      HostStatus.VERIFIED,
                      List.of(),
                      java.util.Optional.of("r"),
                      java.util.OptionalLong.of(1),
                      outcomes.remove(0)),
              changes::add)) {
        for (int i = 0; i < 3; i++) {
          assertThat(s.runOnce(clock.instant())).isEqualTo(1);
          clock.advance(POLL);
        }
      }
      // UNKNOWN -> VERIFIED, then VERIFIED again with a changed baseline, then nothing
      assertThat(changes).hasSize(2);
      assertThat(changes.get(0).baseline()).isEmpty();
      assertThat(changes.get(1).changed()).isFalse();
      assertThat(changes.get(1).baseline()).contains(changed);
      assertThat(changes.get(1).event()).isEqualTo("baseline-changed");
      assertThat(reg.history("h1")).hasSize(1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void theLoopWithANoOpWorkerClearsTwoHundredDueHostsQuickly(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      HostRegistry reg = new HostRegistry(db);
      enrol(reg, HOSTS);
      MutableClock clock = new MutableClock(T0);
      try (AttestationScheduler s =
          new AttestationScheduler(
              reg,
              "replica-a",
              clock,
              settings(50, 16),
              host -> AttestationOutcome.of(HostStatus.VERIFIED),
              c -> {})) {
        long start = System.nanoTime();
        assertThat(drain(s, reg, T0)).isEqualTo(HOSTS);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
            "scheduler %s: %d no-op attestations in %.2f s (%.0f/s)%n",
            kind, HOSTS, seconds, HOSTS / seconds);
        assertThat(seconds).isLessThan(20);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void theBackgroundLoopAttestsDueHostsAndWakesOnATrigger(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      HostRegistry reg = new HostRegistry(db);
      enrol(reg, 20);
      MutableClock clock = new MutableClock(T0);
      Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
      AttestationScheduler.Settings slowIdle =
          new AttestationScheduler.Settings(
              PollIntervals.hourly(), LEASE, 10, 4, Duration.ofSeconds(30));
      try (AttestationScheduler s =
          new AttestationScheduler(
              reg,
              "replica-a",
              clock,
              slowIdle,
              host -> {
                calls.computeIfAbsent(host.id(), k -> new AtomicInteger()).incrementAndGet();
                return AttestationOutcome.of(HostStatus.VERIFIED);
              },
              c -> {})) {
        s.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (reg.list().stream().anyMatch(host -> host.lastAttested().isEmpty())) {
          assertThat(System.nanoTime()).isLessThan(deadline);
          Thread.sleep(10);
        }
        assertThat(calls).hasSize(20);
        // the loop is idle for 30 s now; a trigger wakes it well before that
        Thread.sleep(100);
        assertThat(s.triggerNow("host-5")).isTrue();
        while (calls.get("host-5").get() < 2) {
          assertThat(System.nanoTime()).isLessThan(deadline);
          Thread.sleep(10);
        }
        assertThat(calls.values()).filteredOn(n -> n.get() > 1).hasSize(1);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void aRenewedLeaseOutlastsItsFirstTermAndKeepsTheOtherReplicaAway(String kind) throws Exception {
    leasesOutlastTheirFirstTerm(kind, 3);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void hostsClaimedButWaitingForAWorkerKeepTheirLeases(String kind) throws Exception {
    // one worker for a batch of three: two hosts wait in A's queue under A's leases
    leasesOutlastTheirFirstTerm(kind, 1);
  }

  /**
   * Replica A claims three hosts with {@code workers} workers and holds them past a lease term by
   * renewing; replica B must not get any of them meanwhile.
   */
  private void leasesOutlastTheirFirstTerm(String kind, int workers) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database dbA = h.open();
        Database dbB = h.open()) {
      HostRegistry regA = new HostRegistry(dbA);
      HostRegistry regB = new HostRegistry(dbB);
      enrol(regA, 3);
      MutableClock clock = new MutableClock(T0);
      CountDownLatch slow = new CountDownLatch(1);
      CountDownLatch started = new CountDownLatch(workers);
      Recorder rec = new Recorder();
      try (AttestationScheduler a =
              new AttestationScheduler(
                  regA,
                  "replica-a",
                  clock,
                  settings(10, workers),
                  host -> {
                    started.countDown();
                    slow.await();
                    return AttestationOutcome.of(HostStatus.VERIFIED);
                  },
                  c -> {});
          AttestationScheduler b =
              new AttestationScheduler(
                  regB, "replica-b", clock, settings(10, 3), rec.worker("replica-b"), c -> {})) {
        AtomicInteger recordedByA = new AtomicInteger(-1);
        Thread aRound =
            Thread.ofPlatform()
                .start(
                    () -> {
                      try {
                        recordedByA.set(a.runOnce(T0));
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                    });
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        clock.advance(LEASE.minusSeconds(10));
        assertThat(a.renewLeases()).isEqualTo(3);
        clock.advance(LEASE.minusSeconds(10));
        // past the first term, but the renewed leases still hold
        assertThat(b.runOnce(clock.instant())).isZero();
        assertThat(rec.calls).isEmpty();
        slow.countDown();
        aRound.join(10_000);
        assertThat(recordedByA.get()).isEqualTo(3);
        assertThat(a.renewLeases()).isZero();
      }
      assertThat(regB.list()).allSatisfy(host -> assertThat(host.leaseOwner()).isEmpty());
    }
  }

  /** A deferred report row for {@code host}; the write fails after inserting it when asked to. */
  private static Database.Work<?> reportRow(String host, AtomicInteger runs, boolean fail) {
    return c -> {
      runs.incrementAndGet();
      try (java.sql.PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO trust_reports (id, host_id, status, overall, created_at, expires_at,"
                  + " jws) VALUES (?, ?, 'VERIFIED', TRUE, ?, ?, 'signed')")) {
        ps.setString(1, java.util.UUID.randomUUID().toString());
        ps.setString(2, host);
        dev.vouch.server.store.Sql.setInstant(ps, 3, T0);
        dev.vouch.server.store.Sql.setInstant(ps, 4, T0.plus(POLL));
        ps.executeUpdate();
      }
      if (fail) {
        throw new java.sql.SQLException("the report could not be written");
      }
      return null;
    };
  }

  private static long reportRows(Database db, String host) {
    return db.read(
        c -> {
          try (java.sql.PreparedStatement ps =
              c.prepareStatement("SELECT COUNT(*) FROM trust_reports WHERE host_id = ?")) {
            ps.setString(1, host);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
              rs.next();
              return rs.getLong(1);
            }
          }
        });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void aDeferredReportIsWrittenInTheTransactionOfTheStatusOrNotAtAll(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      HostRegistry reg = new HostRegistry(db);
      AtomicInteger runs = new AtomicInteger();
      HostWorker worker =
          new HostWorker() {
            @Override
            public AttestationOutcome attest(Host host) {
              throw new AssertionError("the scheduler asks for the deferred form");
            }

            @Override
            public Deferred attestDeferred(Host host) {
              if (host.id().equals("stolen")) {
                // the lease ran out mid-attestation and another replica took the host
                assertThat(
                        reg.claim(
                            "replica-b",
                            T0.plus(LEASE).plusSeconds(1),
                            T0.plus(LEASE.multipliedBy(3)),
                            10))
                    .extracting(Host::id)
                    .containsExactly("stolen");
              }
              return new Deferred(
                  new AttestationOutcome(
                      HostStatus.VERIFIED, List.of(), java.util.Optional.of("report")),
                  reportRow(host.id(), runs, host.id().equals("broken")));
            }
          };
      try (AttestationScheduler s =
          new AttestationScheduler(
              reg, "replica-a", new MutableClock(T0), settings(10, 1), worker, c -> {})) {
        reg.register("held", "default", "nats", T0);
        assertThat(s.runOnce(T0)).isEqualTo(1);
        assertThat(reportRows(db, "held")).isEqualTo(1);
        assertThat(reg.get("held").orElseThrow().status()).isEqualTo(HostStatus.VERIFIED);

        reg.register("stolen", "default", "nats", T0);
        assertThat(s.runOnce(T0)).isZero();
        assertThat(reportRows(db, "stolen")).as("no report from a lost lease").isZero();
        assertThat(runs.get()).isEqualTo(1);

        reg.register("broken", "default", "nats", T0);
        assertThat(s.runOnce(T0)).isZero();
        assertThat(runs.get()).isEqualTo(2);
        assertThat(reportRows(db, "broken")).as("the failed write rolled back").isZero();
        assertThat(reg.get("broken").orElseThrow().status())
            .as("nor is the status recorded without its report")
            .isEqualTo(HostStatus.UNKNOWN);
      }
    }
  }
}
