package dev.vouch.bench.load;

/**
 * How requests arrive. {@link Open} is the open model: a fixed arrival rate that does not slow down
 * when the server does, so queueing shows in the latencies (measured from each request's intended
 * start, which avoids coordinated omission). {@link Closed} is the closed loop: a fixed number of
 * clients that each send the next request when the last one answered.
 */
public sealed interface LoadModel {

  /** One line for a summary, e.g. {@code open 500/s} or {@code closed 8}. */
  String describe();

  /**
   * A fixed arrival rate; at most {@code maxInFlight} requests outstanding, arrivals beyond that
   * are counted as the error {@code overloaded} rather than queued in the client.
   */
  record Open(double ratePerSecond, int maxInFlight) implements LoadModel {
    public Open {
      if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
        throw new IllegalArgumentException("the rate must be a positive number: " + ratePerSecond);
      }
      if (maxInFlight < 1) {
        throw new IllegalArgumentException("maxInFlight must be at least 1: " + maxInFlight);
      }
    }

    /** Nanoseconds after the start at which arrival {@code i} (from 0) is due. */
    public long offsetNanos(long i) {
      return Math.round(i * (1e9 / ratePerSecond));
    }

    /** How many arrivals fall inside the first {@code nanos} nanoseconds. */
    public long arrivalsWithin(long nanos) {
      long n = (long) Math.ceil(nanos * ratePerSecond / 1e9);
      // rounding of offsetNanos may move the boundary arrival either way
      while (n > 0 && offsetNanos(n - 1) >= nanos) {
        n--;
      }
      while (offsetNanos(n) < nanos) {
        n++;
      }
      return n;
    }

    @Override
    public String describe() {
      return "open " + trim(ratePerSecond) + "/s";
    }
  }

  /** {@code concurrency} clients in a loop. */
  record Closed(int concurrency) implements LoadModel {
    public Closed {
      if (concurrency < 1) {
        throw new IllegalArgumentException("concurrency must be at least 1: " + concurrency);
      }
    }

    @Override
    public String describe() {
      return "closed " + concurrency;
    }
  }

  private static String trim(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }
}
