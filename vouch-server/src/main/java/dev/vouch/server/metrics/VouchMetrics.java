package dev.vouch.server.metrics;

import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The domain metrics a server exposes on {@code /metrics} next to the HTTP timings: attestation
 * verdicts by evidence kind, KBS releases, host attestations and how late the scheduler claims due
 * hosts. Recorded on Micrometer's global registry, which each running server joins with its
 * Prometheus registry, so that deep code needs no registry handed down. Names are documented in
 * docs/operations.md and used by deploy/grafana-dashboard.json (a test keeps the three agreeing).
 */
public final class VouchMetrics {
  /** AS verdicts: {@code tee}, {@code result} (affirming, warning, contraindicated, refused). */
  public static final String ATTESTATIONS = "vouch.attestations";

  /** KBS resource requests: {@code outcome} (released, denied, not_found, unauthenticated). */
  public static final String KBS_RELEASES = "vouch.kbs.releases";

  /** Host attestations recorded: {@code status} (the host status they produced). */
  public static final String HOST_ATTESTATIONS = "vouch.host.attestations";

  /** How long after its due time a host was claimed for attestation. */
  public static final String SCHEDULER_LAG = "vouch.scheduler.lag";

  /** Statements the server's database layer prepared (its round trips besides commits). */
  public static final String DB_STATEMENTS = "vouch.db.statements";

  /** Transactions the server's database layer committed. */
  public static final String DB_COMMITS = "vouch.db.commits";

  private VouchMetrics() {}

  /** Exports the process's database statement and commit counts on {@code registry}. */
  public static void database(io.micrometer.core.instrument.MeterRegistry registry) {
    io.micrometer.core.instrument.FunctionCounter.builder(
            DB_STATEMENTS, registry, r -> dev.vouch.server.store.Database.statements())
        .description("SQL statements prepared by the server's database layer")
        .register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder(
            DB_COMMITS, registry, r -> dev.vouch.server.store.Database.commits())
        .description("transactions committed by the server's database layer")
        .register(registry);
  }

  /** One AS verdict and how long it took. */
  public static void attestation(String tee, String result, long nanos) {
    Timer.builder(ATTESTATIONS)
        .description("attestation service verdicts by evidence kind and result")
        .tag("tee", tee)
        .tag("result", result)
        .register(Metrics.globalRegistry)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** One KBS resource request's outcome. */
  public static void kbsRelease(String outcome) {
    Metrics.globalRegistry.counter(KBS_RELEASES, "outcome", outcome).increment();
  }

  /** One recorded host attestation and its duration. */
  public static void hostAttestation(String status, long nanos) {
    Timer.builder(HOST_ATTESTATIONS)
        .description("host attestations recorded, by resulting status")
        .tag("status", status)
        .register(Metrics.globalRegistry)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** How late a due host was claimed (zero when on time). */
  public static void schedulerLag(Duration lag) {
    Timer.builder(SCHEDULER_LAG)
        .description("delay between a host's due time and its claim by a scheduler")
        .register(Metrics.globalRegistry)
        .record(lag.isNegative() ? Duration.ZERO : lag);
  }
}
