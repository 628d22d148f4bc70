package dev.vouch.server.manager;

import dev.vouch.server.monitor.HostVerifier;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;

/**
 * The server's host verification as the scheduler's worker, every attempt recorded (for the fault
 * tests' assertions and summaries) and every start signalled on {@link #started}.
 */
public final class RecordingWorker implements HostWorker {
  /** One attestation as the worker saw it. */
  public record Attempt(String host, Instant started, Instant ended, AttestationOutcome outcome) {}

  private final HostVerifier verifier;
  public final Queue<Attempt> attempts = new ConcurrentLinkedQueue<>();
  public final Semaphore started = new Semaphore(0);

  public RecordingWorker(HostVerifier verifier) {
    this.verifier = verifier;
  }

  @Override
  public AttestationOutcome attest(Host host) throws Exception {
    Instant start = Instant.now();
    started.release();
    AttestationOutcome o = verifier.attest(host);
    attempts.add(new Attempt(host.id(), start, Instant.now(), o));
    return o;
  }

  /** The attempts that started in [from, to). */
  public List<Attempt> between(Instant from, Instant to) {
    return attempts.stream()
        .filter(a -> !a.started().isBefore(from) && a.started().isBefore(to))
        .toList();
  }

  /** How many of {@code attempts} came out in each status, for a summary line. */
  public static Map<dev.vouch.policy.flavor.HostStatus, Long> count(List<Attempt> attempts) {
    Map<dev.vouch.policy.flavor.HostStatus, Long> m = new TreeMap<>();
    attempts.forEach(a -> m.merge(a.outcome().status(), 1L, Long::sum));
    return m;
  }

  /**
   * Waits until {@code done} holds, polling every 100 ms: the fault tests' phases end on
   * conditions, with a deadline generous for a loaded machine, never on a fixed sleep.
   */
  public static void await(
      java.util.function.BooleanSupplier done, java.time.Duration within, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not reached within " + within.toSeconds() + " s: " + what);
      }
      Thread.sleep(100);
    }
  }
}
