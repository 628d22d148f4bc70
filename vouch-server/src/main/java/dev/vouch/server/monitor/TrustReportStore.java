package dev.vouch.server.monitor;

import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.report.TrustReport;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sql;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Signed trust reports in the server's database (table {@code trust_reports}); every report is
 * kept, so a host's reports are its attestation history. Thread-safe.
 */
public final class TrustReportStore {
  private static final String COLUMNS = "id, host_id, status, overall, created_at, expires_at, jws";

  /**
   * A stored report: the summary columns and the signed report itself.
   *
   * @param id the report id
   * @param hostId the host
   * @param status the host status the report gives
   * @param overall ISecL's OVERALL trust
   * @param created start of validity
   * @param expires end of validity
   * @param jws the signed report (compact JWS with the signer's certificate chain)
   */
  public record StoredReport(
      UUID id,
      String hostId,
      HostStatus status,
      boolean overall,
      Instant created,
      Instant expires,
      String jws) {}

  private final Database db;

  public TrustReportStore(Database db) {
    this.db = db;
  }

  /** Stores a signed report. */
  public void add(TrustReport report, String jws) {
    add(report, jws, c -> null);
  }

  /**
   * Stores a signed report and runs {@code also} in the same transaction: state that the report
   * rests on (a host's verified IMA checkpoint) is written exactly when the report is.
   */
  public void add(TrustReport report, String jws, Database.Work<?> also) {
    db.transaction(
        c -> {
          also.run(c);
          insert(c, report, jws);
          return null;
        });
  }

  /** Runs {@code work} (e.g. {@link #insert}s) in one transaction. */
  public void write(Database.Work<?> work) {
    db.transaction(work);
  }

  /** Stores a signed report on {@code c}, in the caller's transaction. */
  public static void insert(java.sql.Connection c, TrustReport report, String jws)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO trust_reports (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, report.id().toString());
      ps.setString(2, report.hostId());
      ps.setString(3, report.status().name());
      ps.setBoolean(4, report.overall());
      Sql.setInstant(ps, 5, report.created());
      Sql.setInstant(ps, 6, report.expires());
      ps.setString(7, jws);
      ps.executeUpdate();
    }
  }

  /** The report with this id. */
  public Optional<StoredReport> get(UUID id) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT " + COLUMNS + " FROM trust_reports WHERE id = ?")) {
            ps.setString(1, id.toString());
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
          }
        });
  }

  /** A host's reports, newest first, at most {@code limit}. */
  public List<StoredReport> forHost(String hostId, int limit) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + COLUMNS
                      + " FROM trust_reports WHERE host_id = ?"
                      + " ORDER BY created_at DESC, id DESC LIMIT ?")) {
            ps.setString(1, hostId);
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
              List<StoredReport> out = new ArrayList<>();
              while (rs.next()) {
                out.add(row(rs));
              }
              return out;
            }
          }
        });
  }

  /**
   * How long and how many trust reports are kept per host ({@code hosts.report_retention_days},
   * {@code hosts.report_retention_count}); zero means no limit of that kind.
   *
   * @param maxAge reports older than this may go
   * @param maxPerHost only the newest this many of a host are kept
   */
  public record Retention(java.time.Duration maxAge, int maxPerHost) {
    /** Keep everything. */
    public static final Retention KEEP_ALL = new Retention(java.time.Duration.ZERO, 0);

    public Retention {
      if (maxAge.isNegative() || maxPerHost < 0) {
        throw new IllegalArgumentException("report retention limits must not be negative");
      }
    }

    boolean keepsAll() {
      return maxAge.isZero() && maxPerHost == 0;
    }
  }

  /**
   * Deletes the reports {@code retention} lets go, in one transaction: those older than its age or
   * beyond its count of a host's newest. Never deleted: each host's newest report, the host's last
   * report as the registry names it, every report a status change points at ({@code
   * host_status_history}) and every report a {@code host.status} record of the audit log names.
   *
   * @return how many reports were deleted
   */
  public int prune(Retention retention, Instant now) {
    if (retention.keepsAll()) {
      return 0;
    }
    // ROW_NUMBER is 1 for a host's newest report, which is kept whatever the limits say
    String sql =
        "DELETE FROM trust_reports WHERE id IN (SELECT r.id FROM (SELECT id, host_id, created_at,"
            + " ROW_NUMBER() OVER (PARTITION BY host_id ORDER BY created_at DESC, id DESC) AS n"
            + " FROM trust_reports) r WHERE r.n > 1 AND ("
            + (retention.maxPerHost() > 0 ? "r.n > ?" : "1 = 0")
            + (retention.maxAge().isZero() ? "" : " OR r.created_at < ?")
            + ")"
            + " AND NOT EXISTS (SELECT 1 FROM hosts h WHERE h.last_report_id = r.id)"
            + " AND NOT EXISTS (SELECT 1 FROM host_status_history s WHERE s.report_id = r.id)"
            + " AND NOT EXISTS (SELECT 1 FROM audit_records a WHERE a.action = 'host.status'"
            + " AND a.target = r.host_id AND a.detail LIKE '%report ' || r.id || '%'))";
    return db.transaction(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            if (retention.maxPerHost() > 0) {
              ps.setInt(i++, retention.maxPerHost());
            }
            if (!retention.maxAge().isZero()) {
              Sql.setInstant(ps, i, now.minus(retention.maxAge()));
            }
            return ps.executeUpdate();
          }
        });
  }

  private static StoredReport row(ResultSet rs) throws SQLException {
    return new StoredReport(
        UUID.fromString(rs.getString("id")),
        rs.getString("host_id"),
        HostStatus.valueOf(rs.getString("status")),
        rs.getBoolean("overall"),
        Sql.instant(rs, "created_at"),
        Sql.instant(rs, "expires_at"),
        rs.getString("jws"));
  }
}
