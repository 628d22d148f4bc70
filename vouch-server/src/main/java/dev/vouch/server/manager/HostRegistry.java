package dev.vouch.server.manager;

import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.server.actions.StatusChange;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Enrolled hosts, their schedule and status history in the server's database (table {@code hosts},
 * {@code host_status_history}). Replicas share one registry through the database: a host is claimed
 * with a compare-and-set lease ({@link #claim}), which H2 and PostgreSQL both honour, so at most
 * one live lease exists per host. Thread-safe.
 */
public final class HostRegistry {
  private static final String COLUMNS =
      "id, host_group, connection, status, last_reset_count, next_due, lease_owner, lease_until,"
          + " last_attested, last_report_id";

  private final Database db;

  public HostRegistry(Database db) {
    this.db = db;
  }

  /**
   * Enrols a host with status {@code UNKNOWN}, due at once.
   *
   * @return false when a host with this id is already enrolled (it is left as it is)
   */
  public boolean register(String id, String group, String connection, Instant now) {
    return db.transaction(
        c -> {
          try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM hosts WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
              if (rs.next()) {
                return false;
              }
            }
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO hosts (id, host_group, connection, status, next_due,"
                      + " trigger_pending) VALUES (?, ?, ?, ?, ?, FALSE)")) {
            ps.setString(1, id);
            ps.setString(2, group);
            ps.setString(3, connection);
            ps.setString(4, HostStatus.UNKNOWN.name());
            Sql.setInstant(ps, 5, now);
            ps.executeUpdate();
          }
          return true;
        });
  }

  /**
   * Records a host the registrar just enrolled (or enrolled again): a new host is registered as by
   * {@link #register}; a known one keeps its group (an agent restarted without its group flag must
   * not move it) but takes the connection its agent now serves on, and is due at once, since an
   * agent enrolls when it starts.
   *
   * @return true when the host was new
   */
  public boolean enrolled(String id, String group, String connection, Instant now) {
    return enrolled(id, group, connection, List.of(), now);
  }

  /**
   * The same; a new host is also assigned to the flavor groups its agent asked for ({@code
   * assigned_by} AGENT). A known host keeps its flavor groups, as it keeps its host group.
   */
  public boolean enrolled(
      String id, String group, String connection, List<String> flavorGroups, Instant now) {
    if (register(id, group, connection, now)) {
      if (!flavorGroups.isEmpty()) {
        db.transaction(
            c -> {
              for (String g : new java.util.LinkedHashSet<>(flavorGroups)) {
                insertFlavorGroup(c, id, g, "AGENT", now);
              }
              return null;
            });
      }
      return true;
    }
    db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE hosts SET connection = ?, next_due = ?, trigger_pending = TRUE"
                      + " WHERE id = ?")) {
            ps.setString(1, connection);
            Sql.setInstant(ps, 2, now);
            ps.setString(3, id);
            return ps.executeUpdate();
          }
        });
    return false;
  }

  /**
   * Removes a host and its status history (its reports and flavors stay as records).
   *
   * @return false when no such host is registered
   */
  public boolean remove(String id) {
    return db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM host_status_history WHERE host_id = ?")) {
            ps.setString(1, id);
            ps.executeUpdate();
          }
          try (PreparedStatement ps = c.prepareStatement("DELETE FROM hosts WHERE id = ?")) {
            ps.setString(1, id);
            return ps.executeUpdate() == 1;
          }
        });
  }

  /** The host with this id, if enrolled. */
  public Optional<Host> get(String id) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT " + COLUMNS + " FROM hosts WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(host(rs)) : Optional.empty();
            }
          }
        });
  }

  /** Every enrolled host, ordered by id. */
  public List<Host> list() {
    return db.read(
        c -> {
          try (PreparedStatement ps =
                  c.prepareStatement("SELECT " + COLUMNS + " FROM hosts ORDER BY id");
              ResultSet rs = ps.executeQuery()) {
            List<Host> out = new ArrayList<>();
            while (rs.next()) {
              out.add(host(rs));
            }
            return out;
          }
        });
  }

  /** A host's status changes, oldest first. */
  public List<StatusChange> history(String hostId) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT changed_at, previous_status, new_status, reasons, report_id"
                      + " FROM host_status_history"
                      + " WHERE host_id = ? ORDER BY changed_at, id")) {
            ps.setString(1, hostId);
            try (ResultSet rs = ps.executeQuery()) {
              List<StatusChange> out = new ArrayList<>();
              while (rs.next()) {
                String reasons = rs.getString("reasons");
                out.add(
                    new StatusChange(
                        hostId,
                        HostStatus.valueOf(rs.getString("previous_status")),
                        HostStatus.valueOf(rs.getString("new_status")),
                        reasons.isEmpty() ? List.of() : Arrays.asList(reasons.split("\n")),
                        Optional.ofNullable(rs.getString("report_id")),
                        Sql.instant(rs, "changed_at")));
              }
              return out;
            }
          }
        });
  }

  /**
   * Inserts one row of {@code host_flavor_groups} (a host's assignment to a flavor group) in the
   * caller's transaction; the flavor store and enrollment both assign through it.
   *
   * @param by {@code ADMIN} or {@code AGENT}
   */
  public static void insertFlavorGroup(
      java.sql.Connection c, String hostId, String group, String by, Instant now)
      throws java.sql.SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO host_flavor_groups (host_id, group_name, assigned_by, assigned_at)"
                + " VALUES (?, ?, ?, ?)")) {
      ps.setString(1, hostId);
      ps.setString(2, group);
      ps.setString(3, by);
      Sql.setInstant(ps, 4, now);
      ps.executeUpdate();
    }
  }

  /**
   * Brings a host's next attestation forward to {@code due} when it is now later than that (a
   * shortened poll interval); a host due earlier is left alone.
   *
   * @return whether the host was rescheduled
   */
  public boolean dueNoLaterThan(String hostId, Instant due) {
    return db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("UPDATE hosts SET next_due = ? WHERE id = ? AND next_due > ?")) {
            Sql.setInstant(ps, 1, due);
            ps.setString(2, hostId);
            Sql.setInstant(ps, 3, due);
            return ps.executeUpdate() == 1;
          }
        });
  }

  /**
   * Makes a host due at {@code now} (an agent announced itself, or its reset count changed). When
   * the host is being attested right now, the finishing attestation leaves it due, so the trigger
   * is never swallowed by an attestation that started before it.
   *
   * @return false when no such host is enrolled
   */
  public boolean triggerNow(String hostId, Instant now) {
    return db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE hosts SET next_due = ?, trigger_pending = TRUE WHERE id = ?")) {
            Sql.setInstant(ps, 1, now);
            ps.setString(2, hostId);
            return ps.executeUpdate() == 1;
          }
        });
  }

  /**
   * An administrator's fresh onboarding: the host's status becomes {@link HostStatus#UNKNOWN} (with
   * a history row) and the host is due at once, so only a passing attestation made after this
   * counts as VERIFIED again (and labels its node {@code verified}).
   *
   * @return false when no such host is enrolled
   */
  public boolean onboarded(String hostId, Instant now) {
    return db.transaction(
        c -> {
          HostStatus previous;
          try (PreparedStatement ps =
              c.prepareStatement("SELECT status FROM hosts WHERE id = ? FOR UPDATE")) {
            ps.setString(1, hostId);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return false;
              }
              previous = HostStatus.valueOf(rs.getString(1));
            }
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE hosts SET status = ?, next_due = ?, trigger_pending = TRUE"
                      + " WHERE id = ?")) {
            ps.setString(1, HostStatus.UNKNOWN.name());
            Sql.setInstant(ps, 2, now);
            ps.setString(3, hostId);
            ps.executeUpdate();
          }
          if (previous != HostStatus.UNKNOWN) {
            insertHistory(
                c,
                new StatusChange(
                    hostId,
                    previous,
                    HostStatus.UNKNOWN,
                    List.of("onboarded afresh"),
                    Optional.empty(),
                    now));
          }
          return true;
        });
  }

  /**
   * Records the TPM reset count an agent reported and makes the host due at once when it differs
   * from the last one seen (the host rebooted, so its measurements may have changed).
   *
   * @return true when the count changed and the host was triggered
   */
  public boolean observeResetCount(String hostId, long resetCount, Instant now) {
    return db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE hosts SET last_reset_count = ?, next_due = ?, trigger_pending = TRUE"
                      + " WHERE id = ? AND last_reset_count IS NOT NULL AND last_reset_count <> ?")) {
            ps.setLong(1, resetCount);
            Sql.setInstant(ps, 2, now);
            ps.setString(3, hostId);
            ps.setLong(4, resetCount);
            if (ps.executeUpdate() == 1) {
              return true;
            }
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE hosts SET last_reset_count = ? WHERE id = ? AND last_reset_count IS"
                      + " NULL")) {
            ps.setLong(1, resetCount);
            ps.setString(2, hostId);
            ps.executeUpdate();
          }
          return false;
        });
  }

  /** How many hosts are due at {@code now} and not under a live lease. */
  public int countClaimable(Instant now) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT COUNT(*) FROM hosts WHERE next_due <= ?"
                      + " AND (lease_until IS NULL OR lease_until < ?)")) {
            Sql.setInstant(ps, 1, now);
            Sql.setInstant(ps, 2, now);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return rs.getInt(1);
            }
          }
        });
  }

  /**
   * Claims up to {@code limit} due hosts for {@code owner} until {@code leaseUntil}. Candidates are
   * read first and each is then taken with one conditional UPDATE that succeeds only while the host
   * is due and has no live lease; under concurrent replicas each host goes to exactly one of them
   * (the database re-checks the condition on the row it locks), and an expired lease of a dead
   * replica is taken over like a free one.
   *
   * @return the hosts now leased to {@code owner}, possibly fewer than {@code limit}
   */
  public List<Host> claim(String owner, Instant now, Instant leaseUntil, int limit) {
    List<String> candidates =
        db.read(
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT id FROM hosts WHERE next_due <= ?"
                          + " AND (lease_until IS NULL OR lease_until < ?)"
                          + " ORDER BY next_due, id LIMIT ?")) {
                Sql.setInstant(ps, 1, now);
                Sql.setInstant(ps, 2, now);
                ps.setInt(3, limit);
                try (ResultSet rs = ps.executeQuery()) {
                  List<String> ids = new ArrayList<>();
                  while (rs.next()) {
                    ids.add(rs.getString(1));
                  }
                  return ids;
                }
              }
            });
    if (candidates.isEmpty()) {
      return List.of();
    }
    return db.read(
        c -> {
          List<Host> claimed = new ArrayList<>();
          try (PreparedStatement upd =
                  c.prepareStatement(
                      "UPDATE hosts SET lease_owner = ?, lease_until = ?, trigger_pending = FALSE"
                          + " WHERE id = ? AND next_due <= ?"
                          + " AND (lease_until IS NULL OR lease_until < ?)");
              PreparedStatement sel =
                  c.prepareStatement(
                      "SELECT " + COLUMNS + " FROM hosts WHERE id = ? AND lease_owner = ?")) {
            for (String id : candidates) {
              upd.setString(1, owner);
              Sql.setInstant(upd, 2, leaseUntil);
              upd.setString(3, id);
              Sql.setInstant(upd, 4, now);
              Sql.setInstant(upd, 5, now);
              if (upd.executeUpdate() != 1) {
                continue; // another replica won this host
              }
              sel.setString(1, id);
              sel.setString(2, owner);
              try (ResultSet rs = sel.executeQuery()) {
                if (rs.next()) {
                  claimed.add(host(rs));
                }
              }
            }
          }
          return claimed;
        });
  }

  /**
   * Extends {@code owner}'s live leases on {@code hostIds} to {@code until}. A lease that already
   * ran out is not revived: another replica may hold the host by now.
   *
   * @return how many leases were extended
   */
  public int renew(String owner, Collection<String> hostIds, Instant now, Instant until) {
    if (hostIds.isEmpty()) {
      return 0;
    }
    return db.transaction(
        c -> {
          int renewed = 0;
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE hosts SET lease_until = ? WHERE id = ? AND lease_owner = ?"
                      + " AND lease_until >= ?")) {
            for (String id : hostIds) {
              Sql.setInstant(ps, 1, until);
              ps.setString(2, id);
              ps.setString(3, owner);
              Sql.setInstant(ps, 4, now);
              renewed += ps.executeUpdate();
            }
          }
          return renewed;
        });
  }

  /**
   * Records the outcome of an attestation under {@code owner}'s lease and releases the lease: the
   * status, report and time, the next due time ({@code now} again when a trigger arrived during the
   * attestation), and a history row when the status changed or a failure's reasons changed (a
   * failed host whose agent became unreachable), all in one transaction.
   *
   * @return whether the lease was still held (when it was lost, because it expired and another
   *     replica took the host, nothing is written) and the status change, if any
   */
  public Completion complete(
      String hostId, String owner, AttestationOutcome outcome, Instant now, Instant nextDue) {
    return complete(hostId, owner, outcome, now, nextDue, c -> null);
  }

  /**
   * The same, running {@code also} (the rows the outcome rests on: its report) in the same
   * transaction once the lease is found held; nothing of it is written when the lease was lost.
   */
  public Completion complete(
      String hostId,
      String owner,
      AttestationOutcome outcome,
      Instant now,
      Instant nextDue,
      Database.Work<?> also) {
    return db.transaction(
        c -> {
          HostStatus previous;
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT status FROM hosts WHERE id = ? AND lease_owner = ? FOR UPDATE")) {
            ps.setString(1, hostId);
            ps.setString(2, owner);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return new Completion(false, Optional.empty());
              }
              previous = HostStatus.valueOf(rs.getString(1));
            }
          }
          also.run(c);
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE hosts SET status = ?, last_attested = ?, last_report_id = ?,"
                      + " last_reset_count = COALESCE(?, last_reset_count),"
                      + " next_due = CASE WHEN trigger_pending THEN ? ELSE ? END,"
                      + " trigger_pending = FALSE, lease_owner = NULL, lease_until = NULL"
                      + " WHERE id = ? AND lease_owner = ?")) {
            ps.setString(1, outcome.status().name());
            Sql.setInstant(ps, 2, now);
            ps.setString(3, outcome.reportId().orElse(null));
            if (outcome.resetCount().isPresent()) {
              ps.setLong(4, outcome.resetCount().getAsLong());
            } else {
              ps.setNull(4, Types.BIGINT);
            }
            Sql.setInstant(ps, 5, now);
            Sql.setInstant(ps, 6, nextDue);
            ps.setString(7, hostId);
            ps.setString(8, owner);
            ps.executeUpdate();
          }
          StatusChange change =
              new StatusChange(
                  hostId,
                  previous,
                  outcome.status(),
                  outcome.reasons(),
                  outcome.reportId(),
                  now,
                  outcome.baseline(),
                  Optional.empty(),
                  outcome.flavorIds());
          if (previous != outcome.status()
              || (outcome.status().isFailure()
                  && !outcome.reasons().equals(lastReasons(c, hostId)))) {
            // a failure whose reasons changed (e.g. its agent became unreachable) is a new verdict
            insertHistory(c, change);
            return new Completion(true, Optional.of(change));
          }
          // same status: only a changed baseline is news worth an event
          return new Completion(
              true, outcome.baseline().isPresent() ? Optional.of(change) : Optional.empty());
        });
  }

  /**
   * What {@link #complete} did.
   *
   * @param leaseHeld false when the lease had been lost and nothing was written
   * @param change the status change recorded, if the status (or a failure's reasons) changed, or
   *     the baseline change when only the host's golden baseline changed
   */
  public record Completion(boolean leaseHeld, Optional<StatusChange> change) {}

  /** The reasons of the host's newest history row; empty when it has none. */
  private static List<String> lastReasons(Connection c, String hostId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT reasons FROM host_status_history WHERE host_id = ?"
                + " ORDER BY changed_at DESC, id DESC LIMIT 1")) {
      ps.setString(1, hostId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next() || rs.getString(1).isEmpty()) {
          return List.of();
        }
        return Arrays.asList(rs.getString(1).split("\n"));
      }
    }
  }

  private static void insertHistory(Connection c, StatusChange change) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO host_status_history (host_id, changed_at, previous_status, new_status,"
                + " reasons, report_id) VALUES (?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, change.hostId());
      Sql.setInstant(ps, 2, change.time());
      ps.setString(3, change.previous().name());
      ps.setString(4, change.current().name());
      ps.setString(5, String.join("\n", change.reasons()));
      ps.setString(6, change.reportId().orElse(null));
      ps.executeUpdate();
    }
  }

  private static Host host(ResultSet rs) throws SQLException {
    long reset = rs.getLong("last_reset_count");
    OptionalLong resetCount = rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(reset);
    return new Host(
        rs.getString("id"),
        rs.getString("host_group"),
        rs.getString("connection"),
        HostStatus.valueOf(rs.getString("status")),
        resetCount,
        Sql.instant(rs, "next_due"),
        Optional.ofNullable(rs.getString("lease_owner")),
        Optional.ofNullable(Sql.instant(rs, "lease_until")),
        Optional.ofNullable(Sql.instant(rs, "last_attested")),
        Optional.ofNullable(rs.getString("last_report_id")));
  }
}
