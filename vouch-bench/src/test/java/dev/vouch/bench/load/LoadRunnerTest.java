package dev.vouch.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LoadRunnerTest {

  @Test
  void openModelStartsExactlyTheArrivalsDueInTheRun() throws Exception {
    AtomicLong calls = new AtomicLong();
    LoadModel.Open open = new LoadModel.Open(200, 1000);
    LoadRunner.Measurement m = LoadRunner.run(calls::incrementAndGet, open, Duration.ofMillis(500));
    assertThat(calls.get()).isEqualTo(open.arrivalsWithin(500_000_000L)).isEqualTo(100);
    assertThat(m.ok()).isEqualTo(100);
    assertThat(m.errors()).isEmpty();
    assertThat(m.latencyNanos().getTotalCount()).isEqualTo(100);
    assertThat(m.nanos()).isGreaterThanOrEqualTo(Duration.ofMillis(500).toNanos() - 10_000_000L);
  }

  @Test
  void failuresAreCountedByKindAndKeptOutOfTheLatencies() throws Exception {
    AtomicLong calls = new AtomicLong();
    Operation op =
        () -> {
          long n = calls.incrementAndGet();
          if (n % 4 == 0) {
            throw new Operation.Failed("http-503", "busy");
          }
          if (n % 4 == 1) {
            throw new java.io.IOException("reset");
          }
        };
    LoadRunner.Measurement m =
        LoadRunner.run(op, new LoadModel.Open(400, 1000), Duration.ofMillis(250));
    assertThat(calls.get()).isEqualTo(100);
    assertThat(m.errors()).containsEntry("http-503", 25L).containsEntry("IOException", 25L);
    assertThat(m.errorCount()).isEqualTo(50);
    assertThat(m.ok()).isEqualTo(50);
    assertThat(m.latencyNanos().getTotalCount()).isEqualTo(50);
  }

  @Test
  void closedLoopKeepsItsClientsBusyUntilTheEnd() throws Exception {
    AtomicLong calls = new AtomicLong();
    AtomicLong inFlight = new AtomicLong();
    AtomicLong maxInFlight = new AtomicLong();
    Operation op =
        () -> {
          long now = inFlight.incrementAndGet();
          maxInFlight.accumulateAndGet(now, Math::max);
          calls.incrementAndGet();
          Thread.yield();
          inFlight.decrementAndGet();
        };
    LoadRunner.Measurement m = LoadRunner.run(op, new LoadModel.Closed(3), Duration.ofMillis(200));
    assertThat(m.ok()).isEqualTo(calls.get()).isPositive();
    assertThat(maxInFlight.get()).isBetween(1L, 3L);
    assertThat(inFlight.get()).isZero();
    assertThat(m.okPerSecond()).isPositive();
  }
}
