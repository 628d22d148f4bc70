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
          return null;
        });
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
