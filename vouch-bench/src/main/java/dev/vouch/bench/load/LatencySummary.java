package dev.vouch.bench.load;

import org.HdrHistogram.Histogram;

/** Latency percentiles of a run in milliseconds, read from an HdrHistogram of nanoseconds. */
public record LatencySummary(
    long count, double p50Ms, double p99Ms, double p999Ms, double maxMs, double meanMs) {

  public static LatencySummary of(Histogram nanos) {
    if (nanos.getTotalCount() == 0) {
      return new LatencySummary(0, 0, 0, 0, 0, 0);
    }
    return new LatencySummary(
        nanos.getTotalCount(),
        ms(nanos.getValueAtPercentile(50)),
        ms(nanos.getValueAtPercentile(99)),
        ms(nanos.getValueAtPercentile(99.9)),
        ms(nanos.getMaxValue()),
        nanos.getMean() / 1e6);
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }
}
