package dev.vouch.bench.load;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Drives an {@link Operation} under a {@link LoadModel} for a fixed time and records every
 * operation's latency in an HdrHistogram and every failure by kind. Each operation runs on its own
 * virtual thread; an operation still running at the end is waited for and counted.
 */
public final class LoadRunner {
  private LoadRunner() {}

  /** What one run measured: latencies of the operations that succeeded, failures by kind. */
  public record Measurement(long ok, Map<String, Long> errors, Histogram latencyNanos, long nanos) {
    public long errorCount() {
      return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Successful operations per second of wall time. */
    public double okPerSecond() {
      return nanos == 0 ? 0 : ok / (nanos / 1e9);
    }
  }

  /**
   * Runs {@code op} for {@code duration} under {@code model}.
   *
   * @throws InterruptedException when interrupted while waiting for operations
   */
  public static Measurement run(Operation op, LoadModel model, Duration duration)
      throws InterruptedException {
    State s = new State(op);
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    switch (model) {
      case LoadModel.Open open -> runOpen(s, open, start, end);
      case LoadModel.Closed closed -> runClosed(s, closed, end);
    }
    long nanos = System.nanoTime() - start;
    return new Measurement(
        s.ok.sum(), new TreeMap<>(snapshot(s.errors)), s.latencies.getIntervalHistogram(), nanos);
  }

  private static void runOpen(State s, LoadModel.Open open, long start, long end)
      throws InterruptedException {
    Semaphore slots = new Semaphore(open.maxInFlight());
    long total = open.arrivalsWithin(end - start);
    for (long i = 0; i < total; i++) {
      long due = start + open.offsetNanos(i);
      for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
        LockSupport.parkNanos(wait);
      }
      if (!slots.tryAcquire()) {
        s.fail("overloaded");
        continue;
      }
      Thread.ofVirtual()
          .start(
              () -> {
                try {
                  s.once(due); // latency from the intended start: client delays count too
                } finally {
                  slots.release();
                }
              });
    }
    slots.acquire(open.maxInFlight());
  }

  private static void runClosed(State s, LoadModel.Closed closed, long end)
      throws InterruptedException {
    Thread[] clients = new Thread[closed.concurrency()];
    for (int c = 0; c < clients.length; c++) {
      clients[c] =
          Thread.ofVirtual()
              .start(
                  () -> {
                    while (System.nanoTime() < end) {
                      s.once(System.nanoTime());
                    }
                  });
    }
    for (Thread t : clients) {
      t.join();
    }
  }

  private static Map<String, Long> snapshot(Map<String, LongAdder> m) {
    Map<String, Long> out = new TreeMap<>();
    m.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  private static final class State {
    final Operation op;
    // auto-resizing, 3 significant digits: sub-microsecond to minutes without a fixed ceiling
    final Recorder latencies = new Recorder(3);
    final LongAdder ok = new LongAdder();
    final Map<String, LongAdder> errors = new ConcurrentHashMap<>();

    State(Operation op) {
      this.op = op;
    }

    void once(long startNanos) {
      try {
        op.run();
        latencies.recordValue(Math.max(0, System.nanoTime() - startNanos));
        ok.increment();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted");
      } catch (Exception e) {
        fail(Operation.kindOf(e));
      }
    }

    void fail(String kind) {
      errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }
  }
}
