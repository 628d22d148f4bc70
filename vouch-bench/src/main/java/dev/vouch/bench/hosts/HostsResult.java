package dev.vouch.bench.hosts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vouch.bench.load.LatencySummary;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * The result of one {@code bench hosts} run: one summary line and one JSON document.
 *
 * @param reports trust reports the server created in the window (its attestations)
 * @param quotes quote requests the agents received in the window (each side counts by its own
 *     times, so the two differ by the attestations in flight at the window's edges: many when all
 *     hosts were enrolled at once and are polled in step)
 * @param errors enrollment failures, hosts the server does not list, reports not VERIFIED, reports
 *     with no quote before them, by kind
 * @param agentLatency a quote request reaching an agent to its signed answer handed to NATS
 * @param reportLatency a quote request reaching an agent to the server's signed report
 * @param db the server's database statements and commits in the window (its {@code /metrics})
 */
public record HostsResult(
    int hosts,
    long pollSeconds,
    double seconds,
    long enrolled,
    long verifiedHosts,
    long reports,
    long quotes,
    long missed,
    long duplicated,
    Map<String, Long> errors,
    LatencySummary agentLatency,
    LatencySummary reportLatency,
    OptionalDouble serverCpuSeconds,
    double clientCpuSeconds,
    java.util.Optional<HostsBench.DbCounts> db) {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public HostsResult {
    errors = Map.copyOf(errors);
  }

  public long errorCount() {
    return errors.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Every host enrolled and VERIFIED, attested in the window, none missed or duplicated. */
  public boolean clean() {
    return errorCount() == 0
        && enrolled == hosts
        && verifiedHosts == hosts
        && reports > 0
        && missed == 0
        && duplicated == 0;
  }

  public double attestationsPerSecond() {
    return seconds > 0 ? reports / seconds : 0;
  }

  /** Attestations a host set polled every {@code pollSeconds} owes in the window. */
  public double expectedReports() {
    return hosts * seconds / pollSeconds;
  }

  public OptionalDouble serverCpuMsPerAttestation() {
    return reports == 0 || serverCpuSeconds.isEmpty()
        ? OptionalDouble.empty()
        : OptionalDouble.of(serverCpuSeconds.getAsDouble() * 1000 / reports);
  }

  /** Database round trips (statements and commits) per attestation in the window. */
  public OptionalDouble dbRoundTripsPerAttestation() {
    return reports == 0 || db.isEmpty()
        ? OptionalDouble.empty()
        : OptionalDouble.of((db.get().statements() + db.get().commits()) / (double) reports);
  }

  public String summaryLine() {
    StringBuilder b =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "hosts %d poll %d s %.1f s: %.1f attestations/s (%d reports, %.0f due, %d quotes),"
                    + " %d/%d verified, %d missed, %d duplicated, %d errors%s;"
                    + " request to report p50 %.2f ms p99 %.2f ms max %.2f ms;"
                    + " agent p50 %.2f ms p99 %.2f ms",
                hosts,
                pollSeconds,
                seconds,
                attestationsPerSecond(),
                reports,
                expectedReports(),
                quotes,
                verifiedHosts,
                hosts,
                missed,
                duplicated,
                errorCount(),
                errors.isEmpty() ? "" : " " + new TreeMap<>(errors),
                reportLatency.p50Ms(),
                reportLatency.p99Ms(),
                reportLatency.maxMs(),
                agentLatency.p50Ms(),
                agentLatency.p99Ms()));
    serverCpuMsPerAttestation()
        .ifPresent(
            v -> b.append(String.format(Locale.ROOT, ", server %.3f ms CPU/attestation", v)));
    dbRoundTripsPerAttestation()
        .ifPresent(
            v ->
                b.append(
                    String.format(
                        Locale.ROOT,
                        ", %.1f DB round trips/attestation (%d statements, %d commits)",
                        v,
                        db.get().statements(),
                        db.get().commits())));
    return b.toString();
  }

  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("workload", "hosts");
    m.put("hosts", hosts);
    m.put("poll_seconds", pollSeconds);
    m.put("seconds", seconds);
    m.put("enrolled", enrolled);
    m.put("verified_hosts", verifiedHosts);
    m.put("reports", reports);
    m.put("reports_due", expectedReports());
    m.put("quotes_served", quotes);
    m.put("attestations_per_second", attestationsPerSecond());
    m.put("missed", missed);
    m.put("duplicated", duplicated);
    m.put("errors", errorCount());
    m.put("errors_by_kind", new TreeMap<>(errors));
    m.put("request_to_report_latency", reportLatency.toJsonMap());
    m.put("agent_latency", agentLatency.toJsonMap());
    m.put(
        "server_cpu_seconds", serverCpuSeconds.isPresent() ? serverCpuSeconds.getAsDouble() : null);
    m.put(
        "server_cpu_ms_per_attestation",
        serverCpuMsPerAttestation().isPresent() ? serverCpuMsPerAttestation().getAsDouble() : null);
    m.put("client_cpu_seconds", clientCpuSeconds);
    m.put("db_statements", db.map(HostsBench.DbCounts::statements).orElse(null));
    m.put("db_commits", db.map(HostsBench.DbCounts::commits).orElse(null));
    m.put(
        "db_round_trips_per_attestation",
        dbRoundTripsPerAttestation().isPresent()
            ? dbRoundTripsPerAttestation().getAsDouble()
            : null);
    m.put("java", System.getProperty("java.version"));
    m.put("cores", Runtime.getRuntime().availableProcessors());
    try {
      return JSON.writeValueAsString(m);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a map of numbers and strings always serializes", e);
    }
  }
}
