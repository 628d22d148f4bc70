package dev.vouch.server.manager;

import dev.vouch.server.actions.StatusChange;
import dev.vouch.server.metrics.VouchMetrics;
import dev.vouch.server.store.Database;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-attests every enrolled host every poll interval of its group, and at once after {@link
 * #triggerNow}. Each replica runs one scheduler with its own owner id over the shared {@link
 * HostRegistry}; a host is attested only under a lease claimed in the database, so two replicas
 * never attest one host at once, and the leases of a replica that dies run out after {@code
 * leaseDuration} and are claimed by the others. The lease must outlast the slowest attestation: a
 * worker still running when its lease expires may race the replica that took the host over (its
 * result is then discarded).
 */
public final class AttestationScheduler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AttestationScheduler.class);

  /** Tuning of one scheduler. */
  public record Settings(
      PollIntervals polls,
      Duration leaseDuration,
      int batchSize,
      int maxConcurrency,
      Duration idle) {
    public Settings {
      Objects.requireNonNull(polls, "polls");
      if (leaseDuration.isNegative() || leaseDuration.isZero()) {
        throw new IllegalArgumentException("lease duration must be positive");
      }
      if (batchSize < 1 || maxConcurrency < 1) {
        throw new IllegalArgumentException("batch size and concurrency must be at least 1");
      }
    }

    /** Hourly polls, 5-minute leases, batches of 100, 32 attestations at once, 1 s idle sleep. */
    public static Settings defaults() {
      return new Settings(
          PollIntervals.hourly(), Duration.ofMinutes(5), 100, 32, Duration.ofSeconds(1));
    }
  }

  private final HostRegistry registry;
  private final String ownerId;
  private final Clock clock;
  private final Settings settings;
  private final HostWorker worker;
  private final Consumer<StatusChange> onChange;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final Semaphore permits;
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  private volatile Thread renewer;
  private volatile Thread loop;
  private volatile boolean stopped;

  /**
   * @param ownerId this replica's id, unique among live replicas
   * @param onChange told of each committed status change (e.g. the failure responder)
   */
  public AttestationScheduler(
      HostRegistry registry,
      String ownerId,
      Clock clock,
      Settings settings,
      HostWorker worker,
      Consumer<StatusChange> onChange) {
    this.registry = registry;
    this.ownerId = ownerId;
    this.clock = clock;
    this.settings = settings;
    this.worker = worker;
    this.onChange = onChange;
    this.permits = new Semaphore(settings.maxConcurrency());
  }

  /**
   * Claims one batch of due hosts at {@code now}, attests them (at most {@code maxConcurrency} at
   * once) and records each outcome, releasing its lease.
   *
   * @return how many hosts this call attested and recorded
   */
  public int runOnce(Instant now) throws InterruptedException {
    List<Host> claimed =
        registry.claim(ownerId, now, now.plus(settings.leaseDuration()), settings.batchSize());
    // every claimed host is renewed from now on, also while it waits for a free worker: a lease
    // that ran out in the queue would let another replica attest the host as well
    claimed.forEach(h -> inFlight.add(h.id()));
    List<Future<Boolean>> running = new ArrayList<>(claimed.size());
    for (int i = 0; i < claimed.size(); i++) {
      Host host = claimed.get(i);
      try {
        permits.acquire();
      } catch (InterruptedException e) {
        // stopping: the hosts not started are left to expire, as a crashed replica's would
        claimed.subList(i, claimed.size()).forEach(h -> inFlight.remove(h.id()));
        throw e;
      }
      running.add(
          threads.submit(
              () -> {
                try {
                  return attestAndRecord(host, now);
                } finally {
                  inFlight.remove(host.id());
                  permits.release();
                }
              }));
    }
    int recorded = 0;
    for (Future<Boolean> f : running) {
      try {
        if (f.get()) {
          recorded++;
        }
      } catch (ExecutionException e) {
        log.warn("recording an attestation failed; its lease will expire", e.getCause());
      }
    }
    return recorded;
  }

  private boolean attestAndRecord(Host host, Instant claimedAt) {
    VouchMetrics.schedulerLag(Duration.between(host.nextDue(), claimedAt));
    long started = System.nanoTime();
    AttestationOutcome outcome;
    Database.Work<?> write = c -> null;
    try {
      HostWorker.Deferred d = worker.attestDeferred(host);
      outcome = d.outcome();
      write = d.write();
    } catch (InterruptedException e) {
      // stopping: leave the lease to expire rather than record a half-done attestation
      Thread.currentThread().interrupt();
      return false;
    } catch (Exception e) {
      outcome =
          AttestationOutcome.notMeasured(
              host,
              AttestationOutcome.INCOMPLETE,
              "attestation could not be completed: " + e.getMessage());
    }
    Instant done = clock.instant();
    // the next round counts from the claim, so the interval does not drift by the attestation time
    Instant nextDue = claimedAt.plus(settings.polls().forGroup(host.group()));
    HostRegistry.Completion c =
        registry.complete(host.id(), ownerId, outcome, done, nextDue, write);
    if (!c.leaseHeld()) {
      log.warn("lease on host {} expired during attestation; result discarded", host.id());
      return false;
    }
    VouchMetrics.hostAttestation(outcome.status().name(), System.nanoTime() - started);
    if (c.change().isPresent()) {
      StatusChange change = c.change().get();
      log.info(
          "host {} status {} -> {} {}",
          host.id(),
          change.previous(),
          change.current(),
          change.reasons());
      onChange.accept(change);
    } else {
      log.debug("host {} still {}", host.id(), outcome.status());
    }
    if (outcome.imaRestart().isPresent()) {
      onChange.accept(
          StatusChange.imaRestart(
              host.id(), outcome.status(), outcome.imaRestart().get(), outcome.reportId(), done));
    }
    return true;
  }

  /**
   * Extends the leases of the attestations this scheduler has under way by {@code leaseDuration}
   * from now (the background loop calls this every third of a lease).
   *
   * @return how many leases were extended
   */
  public int renewLeases() {
    Instant now = clock.instant();
    return registry.renew(ownerId, Set.copyOf(inFlight), now, now.plus(settings.leaseDuration()));
  }

  /** Makes a host due at once (its agent announced itself, or its reset count changed). */
  public boolean triggerNow(String hostId) {
    boolean found = registry.triggerNow(hostId, clock.instant());
    Thread t = loop;
    if (found && t != null) {
      LockSupport.unpark(t);
    }
    return found;
  }

  /**
   * Applies the poll intervals in force to hosts scheduled under longer ones: a host whose next
   * attestation lies beyond its last attestation plus its group's interval is brought forward to
   * that time (or {@code now} when it has passed), so a shortened interval applies at once, not
   * after the previously scheduled time. Longer intervals apply from the next attestation.
   *
   * @return how many hosts were brought forward
   */
  public int applyIntervals(Instant now) {
    int moved = 0;
    for (Host h : registry.list()) {
      Instant due = h.lastAttested().orElse(now).plus(settings.polls().forGroup(h.group()));
      if (due.isBefore(now)) {
        due = now;
      }
      if (due.isBefore(h.nextDue()) && registry.dueNoLaterThan(h.id(), due)) {
        moved++;
      }
    }
    if (moved > 0) {
      log.info("{} hosts brought forward to their current poll interval", moved);
    }
    return moved;
  }

  /**
   * Starts the background loop: a batch, then the next at once while work remains, else idle. A
   * poll interval shortened since the hosts were scheduled applies at once ({@link
   * #applyIntervals}).
   */
  public synchronized void start() {
    if (loop != null) {
      return;
    }
    applyIntervals(clock.instant());
    loop =
        Thread.ofVirtual()
            .name("attestation-scheduler-" + ownerId)
            .start(
                () -> {
                  while (!stopped) {
                    try {
                      if (runOnce(clock.instant()) == 0) {
                        LockSupport.parkNanos(settings.idle().toNanos());
                      }
                    } catch (InterruptedException e) {
                      return;
                    } catch (RuntimeException e) {
                      log.warn("scheduler round failed", e);
                      LockSupport.parkNanos(settings.idle().toNanos());
                    }
                  }
                });
    long every = settings.leaseDuration().dividedBy(3).toNanos();
    // a platform thread: the attestations run on virtual threads that share a few carriers, and
    // when their CPU work keeps every carrier busy a virtual renewer waits past the lease's end,
    // letting another replica take hosts that are still being attested here
    renewer =
        Thread.ofPlatform()
            .daemon()
            .priority(Thread.MAX_PRIORITY)
            .name("attestation-lease-renewer-" + ownerId)
            .start(
                () -> {
                  while (!stopped) {
                    LockSupport.parkNanos(every);
                    try {
                      renewLeases();
                    } catch (RuntimeException e) {
                      log.warn("renewing leases failed", e);
                    }
                  }
                });
  }

  /**
   * Stops the loop and interrupts running attestations; their leases are left to expire, as a
   * crashed replica's would.
   */
  @Override
  public void close() {
    stopped = true;
    Thread t = loop;
    if (t != null) {
      t.interrupt();
    }
    Thread r = renewer;
    if (r != null) {
      LockSupport.unpark(r);
    }
    threads.shutdownNow();
    try {
      threads.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
