package dev.vouch.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencySummaryTest {

  @Test
  void readsPercentilesInMillisecondsFromNanoseconds() {
    Histogram h = new Histogram(3);
    for (int ms = 1; ms <= 1000; ms++) {
      h.recordValue(ms * 1_000_000L);
    }
    LatencySummary s = LatencySummary.of(h);
    assertThat(s.count()).isEqualTo(1000);
    // three significant digits: each value within 0.1 %
    assertThat(s.p50Ms()).isCloseTo(500, within(0.5));
    assertThat(s.p99Ms()).isCloseTo(990, within(1.0));
    assertThat(s.p999Ms()).isCloseTo(999, within(1.0));
    assertThat(s.maxMs()).isCloseTo(1000, within(1.0));
    assertThat(s.meanMs()).isCloseTo(500.5, within(0.5));
  }

  @Test
  void aTailOutlierShowsInTheMaximumNotTheMedian() {
    Histogram h = new Histogram(3);
    for (int i = 0; i < 999; i++) {
      h.recordValue(2_000_000L);
    }
    h.recordValue(3_000_000_000L);
    LatencySummary s = LatencySummary.of(h);
    assertThat(s.p50Ms()).isCloseTo(2, within(0.01));
    assertThat(s.p99Ms()).isCloseTo(2, within(0.01));
    assertThat(s.maxMs()).isCloseTo(3000, within(3.0));
  }

  @Test
  void anEmptyRunHasZeros() {
    assertThat(LatencySummary.of(new Histogram(3))).isEqualTo(new LatencySummary(0, 0, 0, 0, 0, 0));
  }
}
