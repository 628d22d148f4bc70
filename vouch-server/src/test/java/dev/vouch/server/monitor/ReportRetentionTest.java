package dev.vouch.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.policy.flavor.HostFacts;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.report.TrustReport;
import dev.vouch.policy.report.TrustReports;
import dev.vouch.server.actions.StatusChange;
import dev.vouch.server.audit.AuditLog;
import dev.vouch.server.manager.AttestationOutcome;
import dev.vouch.server.manager.HostRegistry;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sealer;
import dev.vouch.server.store.TestDatabases;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Trust report retention by count and age per host on H2 and PostgreSQL: old reports go, but never
 * a host's newest, its last as the registry names it, a report a status change points at, or one a
 * host.status audit record names.
 */
class ReportRetentionTest {
  private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

  @TempDir Path dir;

  static Stream<String> databases() {
    return Stream.of("h2", "postgresql");
  }

  /** One attestation of {@code host} at hour {@code hour}, through the registry's lease. */
  private static UUID attest(
      HostRegistry registry,
      TrustReportStore reports,
      ServerIdentity id,
      String host,
      int hour,
      HostStatus status)
      throws Exception {
    Instant at = T0.plus(Duration.ofHours(hour));
    TrustReport r =
        new TrustReport(
            UUID.randomUUID(),
            host,
            new HostFacts(host, "", "", "", "", "", "2.0"),
            Optional.of(true),
            status,
            status == HostStatus.VERIFIED,
            Map.of(),
            List.of(),
            "hour " + hour,
            at,
            at.plus(Duration.ofDays(1)));
    reports.add(r, TrustReports.sign(r, id.key(), id.chain()));
    if (registry.get(host).isPresent()) {
      assertThat(registry.claim("replica", at, at.plusSeconds(60), 10)).hasSize(1);
      registry.complete(
          host,
          "replica",
          new AttestationOutcome(
              status,
              status == HostStatus.VERIFIED ? List.of() : List.of("PLATFORM not matched"),
              Optional.of(r.id().toString()),
              OptionalLong.of(1),
              Optional.empty(),
              Optional.empty()),
          at,
          at);
    }
    return r.id();
  }

  private static List<UUID> kept(TrustReportStore reports, String host) {
    return reports.forHost(host, 100).stream()
        .map(TrustReportStore.StoredReport::id)
        .toList()
        .reversed();
  }

  @ParameterizedTest
  @MethodSource("databases")
  void oldReportsGoButNotTheNewestTheLastStatusChangesOrAuditedOnes(String kind) throws Exception {
    try (TestDatabases.Handle h =
            kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres();
        Database db = h.open()) {
      Clock clock = Clock.fixed(T0, ZoneOffset.UTC);
      ServerIdentity id = ServerIdentity.loadOrCreate(db, new Sealer(new byte[32]), clock);
      HostRegistry registry = new HostRegistry(db);
      TrustReportStore reports = new TrustReportStore(db);
      registry.register("h1", "default", "nats", T0);

      // h1: a status change at 0 (UNKNOWN -> VERIFIED), at 5 (-> failed) and at 9 (-> VERIFIED)
      List<UUID> h1 = new ArrayList<>();
      for (int hour = 0; hour < 10; hour++) {
        HostStatus s = hour >= 5 && hour < 9 ? HostStatus.ATTESTATION_FAILED : HostStatus.VERIFIED;
        h1.add(attest(registry, reports, id, "h1", hour, s));
      }
      // the audit log names the report of hour 2 (an administrator's attention was drawn to it)
      new AuditLog(db, dev.vouch.policy.audit.AuditCheckpoint.signer(id.key(), id.chain()), clock)
          .hostStatus(
              new StatusChange(
                  "h1",
                  HostStatus.VERIFIED,
                  HostStatus.VERIFIED,
                  List.of(),
                  Optional.of(h1.get(2).toString()),
                  T0,
                  Optional.empty()));
      // registered now: h1 is not due again before hour 9, so the claim takes h2 alone
      registry.register("h2", "default", "nats", T0);
      UUID h2Only = attest(registry, reports, id, "h2", 0, HostStatus.VERIFIED);
      // a host removed from the registry keeps only its newest report once they are old
      UUID goneOld = attest(registry, reports, id, "gone", 0, HostStatus.VERIFIED);
      UUID goneNew = attest(registry, reports, id, "gone", 1, HostStatus.VERIFIED);

      // by count: the newest three of a host, and the protected ones
      int deleted = reports.prune(new TrustReportStore.Retention(Duration.ZERO, 3), T0);
      assertThat(kept(reports, "h1"))
          .containsExactly(h1.get(0), h1.get(2), h1.get(5), h1.get(7), h1.get(8), h1.get(9));
      assertThat(deleted).isEqualTo(4);

      // by age: everything before hour 8 may go, unless protected
      Instant later = T0.plus(Duration.ofDays(30));
      Duration age = Duration.between(T0.plus(Duration.ofMinutes(7 * 60 + 30)), later);
      reports.prune(new TrustReportStore.Retention(age, 0), later);
      assertThat(kept(reports, "h1"))
          .containsExactly(h1.get(0), h1.get(2), h1.get(5), h1.get(8), h1.get(9));
      assertThat(kept(reports, "h2")).containsExactly(h2Only);
      assertThat(kept(reports, "gone")).containsExactly(goneNew).doesNotContain(goneOld);

      // keeping everything deletes nothing; negative limits are refused
      assertThat(reports.prune(TrustReportStore.Retention.KEEP_ALL, later.plusSeconds(1))).isZero();
      assertThatThrownBy(() -> new TrustReportStore.Retention(Duration.ofDays(-1), 0))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
