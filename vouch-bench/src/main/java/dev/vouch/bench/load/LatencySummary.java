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

  /** The JSON form of the load results: count and milliseconds, snake_case. */
  public java.util.Map<String, Object> toJsonMap() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("count", count);
    m.put("p50_ms", p50Ms);
    m.put("p99_ms", p99Ms);
    m.put("p99_9_ms", p999Ms);
    m.put("max_ms", maxMs);
    m.put("mean_ms", meanMs);
    return m;
  }
}
