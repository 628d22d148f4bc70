package dev.vouch.bench.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The result of one load run: what was asked (workload, model, duration), what happened (successes,
 * errors by kind, rate, latency percentiles) and what it cost (server and client CPU seconds, and
 * per successful operation). Printed as one summary line and written as one JSON document.
 *
 * @param serverCpuSeconds CPU the server process used during the run, when its pid was given
 * @param clientCpuSeconds CPU this load generator's process used during the run
 */
public record LoadResult(
    String workload,
    LoadModel model,
    double seconds,
    long ok,
    Map<String, Long> errors,
    double okPerSecond,
    LatencySummary latency,
    OptionalDouble serverCpuSeconds,
    double clientCpuSeconds) {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public LoadResult {
    errors = Map.copyOf(errors);
  }

  public static LoadResult of(
      String workload,
      LoadModel model,
      LoadRunner.Measurement m,
      OptionalDouble serverCpuSeconds,
      double clientCpuSeconds) {
    return new LoadResult(
        workload,
        model,
        m.nanos() / 1e9,
        m.ok(),
        m.errors(),
        m.okPerSecond(),
        LatencySummary.of(m.latencyNanos()),
        serverCpuSeconds,
        clientCpuSeconds);
  }

  public long errorCount() {
    return errors.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Server CPU milliseconds per successful operation, when the server's CPU was read. */
  public OptionalDouble serverCpuMsPerOp() {
    return ok == 0 || serverCpuSeconds.isEmpty()
        ? OptionalDouble.empty()
        : OptionalDouble.of(serverCpuSeconds.getAsDouble() * 1000 / ok);
  }

  public double clientCpuMsPerOp() {
    return ok == 0 ? 0 : clientCpuSeconds * 1000 / ok;
  }

  /** One line, e.g. {@code kbs open 200/s 10.0 s: 199.7 ok/s p50 3.10 ms ... 0 errors ...}. */
  public String summaryLine() {
    StringBuilder b =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%s %s %.1f s: %.1f ok/s (%d ok, %d errors%s) p50 %.2f ms p99 %.2f ms p99.9 %.2f ms"
                    + " max %.2f ms",
                workload,
                model.describe(),
                seconds,
                okPerSecond,
                ok,
                errorCount(),
                errors.isEmpty() ? "" : " " + errors,
                latency.p50Ms(),
                latency.p99Ms(),
                latency.p999Ms(),
                latency.maxMs()));
    serverCpuMsPerOp()
        .ifPresent(v -> b.append(String.format(Locale.ROOT, ", server %.3f ms CPU/op", v)));
    b.append(String.format(Locale.ROOT, ", client %.3f ms CPU/op", clientCpuMsPerOp()));
    return b.toString();
  }

  /** The JSON result document (field names in snake_case, times in ms, rates per second). */
  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("workload", workload);
    Map<String, Object> model = new LinkedHashMap<>();
    switch (this.model) {
      case LoadModel.Open o -> {
        model.put("kind", "open");
        model.put("rate_per_second", o.ratePerSecond());
        model.put("max_in_flight", o.maxInFlight());
      }
      case LoadModel.Closed c -> {
        model.put("kind", "closed");
        model.put("concurrency", c.concurrency());
      }
    }
    m.put("model", model);
    m.put("seconds", seconds);
    m.put("ok", ok);
    m.put("errors", errorCount());
    m.put("errors_by_kind", new java.util.TreeMap<>(errors));
    m.put("ok_per_second", okPerSecond);
    m.put("latency", latency.toJsonMap());
    m.put(
        "server_cpu_seconds", serverCpuSeconds.isPresent() ? serverCpuSeconds.getAsDouble() : null);
    m.put(
        "server_cpu_ms_per_op",
        serverCpuMsPerOp().isPresent() ? serverCpuMsPerOp().getAsDouble() : null);
    m.put("client_cpu_seconds", clientCpuSeconds);
    m.put("client_cpu_ms_per_op", clientCpuMsPerOp());
    m.put("java", System.getProperty("java.version"));
    m.put("cores", Runtime.getRuntime().availableProcessors());
    try {
      return JSON.writeValueAsString(m);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a map of numbers and strings always serializes", e);
    }
  }
}
