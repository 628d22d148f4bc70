package dev.vouch.server.audit;

import dev.vouch.core.VerificationException;
import dev.vouch.policy.audit.AuditCheckpoint;
import dev.vouch.policy.audit.AuditEntry;
import dev.vouch.policy.audit.AuditExport;
import dev.vouch.policy.audit.AuditRecord;
import dev.vouch.policy.report.X5cJws;
import dev.vouch.server.actions.StatusChange;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sql;
import dev.vouch.server.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's append-only, hash-chained audit log in the database, shared by every replica.
 * Appends race on the record number (the primary key): the loser re-reads the head and tries again,
 * so concurrent replicas extend one chain and never fork it. Checkpoints sign the head with the
 * server's reporting key.
 *
 * <p>Within one process appends are group-committed: while one transaction commits, the appends
 * that arrive queue up, and the next caller to get the writer's turn writes all of them in one
 * transaction (one lock, one head read, one commit). No caller returns before the transaction
 * holding its record has committed, so an acknowledged record survives a crash; no timer delays a
 * lone append.
 */
public final class AuditLog {
  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  private static final int ATTEMPTS = 50;
  // bounds one transaction's size when a burst has queued many records
  private static final int MAX_BATCH = 256;

  private final Database db;
  private final X5cJws.Signer signer;
  private final Clock clock;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private final ReentrantLock writer = new ReentrantLock();

  public AuditLog(Database db, X5cJws.Signer signer, Clock clock) {
    this.db = db;
    this.signer = signer;
    this.clock = clock;
  }

  /**
   * Appends one record after the current head, returning once it is committed.
   *
   * @throws StoreException when the database fails, or the head kept moving for every attempt
   */
  public AuditRecord append(AuditEntry entry) {
    Pending mine = new Pending(entry);
    synchronized (queue) {
      queue.add(mine);
    }
    // whoever holds the turn writes everything queued, this caller's record included
    writer.lock();
    try {
      while (mine.written == null && mine.failed == null) {
        writeQueued();
      }
    } finally {
      writer.unlock();
    }
    if (mine.failed != null) {
      throw new StoreException("audit append failed: " + mine.failed.getMessage(), mine.failed);
    }
    return mine.written;
  }

  /** A queued append; its outcome is set by the caller holding the writer's turn. */
  private static final class Pending {
    final AuditEntry entry;
    AuditRecord written;
    RuntimeException failed;

    Pending(AuditEntry entry) {
      this.entry = entry;
    }
  }

  private void writeQueued() {
    List<Pending> batch = new ArrayList<>();
    synchronized (queue) {
      while (!queue.isEmpty() && batch.size() < MAX_BATCH) {
        batch.add(queue.poll());
      }
    }
    try {
      List<AuditRecord> written = appendAll(batch.stream().map(p -> p.entry).toList());
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).written = written.get(i);
      }
    } catch (RuntimeException e) {
      if (batch.size() == 1) {
        batch.getFirst().failed = e;
        return;
      }
      // one bad record must not take the others with it: each alone, in its own transaction
      for (Pending p : batch) {
        try {
          p.written = appendAll(List.of(p.entry)).getFirst();
        } catch (RuntimeException alone) {
          p.failed = alone;
        }
      }
    }
  }

  private List<AuditRecord> appendAll(List<AuditEntry> entries) {
    StoreException last = null;
    for (int i = 0; i < ATTEMPTS; i++) {
      try {
        return db.transaction(c -> insertAfterHead(c, entries));
      } catch (StoreException e) {
        if (!lostRace(e)) {
          throw e;
        }
        last = e;
        Thread.onSpinWait();
      }
    }
    throw last;
  }

  /**
   * Appends, and logs instead of throwing when the database fails: for callers whose own work is
   * already done and must not be reported as failed because its record could not be written.
   */
  public void record(AuditEntry entry) {
    try {
      append(entry);
    } catch (RuntimeException e) {
      LOG.error("audit record {} {} not written: {}", entry.action(), entry.target(), e.toString());
    }
  }

  /** Records a host's status change as the server's own decision. */
  public void hostStatus(StatusChange change) {
    if (change.imaRestart().isPresent()) {
      record(
          AuditEntry.system(
              "host." + StatusChange.IMA_RESTART_EVENT,
              change.hostId(),
              change.current().name(),
              change.imaRestart().get()));
      return;
    }
    record(
        AuditEntry.system(
            "host.status",
            change.hostId(),
            change.current().name(),
            change.previous().name()
                + " -> "
                + change.current().name()
                + change.reportId().map(r -> ", report " + r).orElse("")
                + (change.reasons().isEmpty() ? "" : ": " + String.join("; ", change.reasons()))));
  }

  private List<AuditRecord> insertAfterHead(Connection c, List<AuditEntry> entries)
      throws SQLException {
    // appends take turns across replicas: the head cannot move between reading it and writing after
    try (PreparedStatement ps =
            c.prepareStatement("SELECT id FROM audit_lock WHERE id = 1 FOR UPDATE");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
    }
    long prevSeq = 0;
    String prevHash = AuditRecord.GENESIS;
    try (PreparedStatement ps =
            c.prepareStatement("SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1");
        ResultSet rs = ps.executeQuery()) {
      if (rs.next()) {
        prevSeq = rs.getLong(1);
        prevHash = rs.getString(2);
      }
    }
    List<AuditRecord> out = new ArrayList<>(entries.size());
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO audit_records (seq, at, actor, action, target, outcome, request_id,"
                + " source, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (AuditEntry entry : entries) {
        AuditRecord r = AuditRecord.after(prevSeq, prevHash, clock.instant(), entry);
        ps.setLong(1, r.seq());
        Sql.setInstant(ps, 2, r.at());
        ps.setString(3, entry.actor());
        ps.setString(4, entry.action());
        ps.setString(5, entry.target());
        ps.setString(6, entry.outcome());
        ps.setString(7, entry.requestId());
        ps.setString(8, entry.source());
        ps.setString(9, entry.detail());
        ps.setString(10, r.prev());
        ps.setString(11, r.hash());
        ps.addBatch();
        out.add(r);
        prevSeq = r.seq();
        prevHash = r.hash();
      }
      ps.executeBatch();
    }
    return out;
  }

  // a concurrent append took the number (unique violation) or the database aborted one of two
  // conflicting transactions (serialization failure, deadlock, H2's lock timeout)
  private static boolean lostRace(StoreException e) {
    if (!(e.getCause() instanceof SQLException s) || s.getSQLState() == null) {
      return false;
    }
    String state = s.getSQLState();
    return state.equals("23505") || state.startsWith("40") || state.equals("HYT00");
  }

  /** A query over the log: any field may be {@code null} for "any". */
  public record Query(
      String actor,
      String action,
      String target,
      Instant since,
      Instant until,
      long afterSeq,
      int limit) {}

  /** Records matching {@code q}, oldest first, at most {@code q.limit()}. */
  public List<AuditRecord> list(Query q) {
    StringBuilder sql =
        new StringBuilder(
            "SELECT seq, at, actor, action, target, outcome, request_id, source, detail,"
                + " prev_hash, hash FROM audit_records WHERE seq > ?");
    List<Object> args = new ArrayList<>();
    args.add(q.afterSeq());
    if (q.actor() != null) {
      sql.append(" AND actor = ?");
      args.add(q.actor());
    }
    if (q.action() != null) {
      sql.append(" AND action = ?");
      args.add(q.action());
    }
    if (q.target() != null) {
      sql.append(" AND target = ?");
      args.add(q.target());
    }
    if (q.since() != null) {
      sql.append(" AND at >= ?");
      args.add(q.since());
    }
    if (q.until() != null) {
      sql.append(" AND at < ?");
      args.add(q.until());
    }
    sql.append(" ORDER BY seq LIMIT ?");
    args.add(q.limit());
    return db.read(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
              Object a = args.get(i);
              if (a instanceof Instant t) {
                Sql.setInstant(ps, i + 1, t);
              } else if (a instanceof Long l) {
                ps.setLong(i + 1, l);
              } else if (a instanceof Integer n) {
                ps.setInt(i + 1, n);
              } else {
                ps.setString(i + 1, (String) a);
              }
            }
            List<AuditRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(read(rs));
              }
            }
            return out;
          }
        });
  }

  /**
   * Signs the current head and keeps the checkpoint, unless the newest one already names it.
   *
   * @return the newest checkpoint's JWS
   */
  public String checkpoint() {
    record Head(long seq, String hash) {}
    Head head =
        db.read(
            c -> {
              try (PreparedStatement ps =
                      c.prepareStatement(
                          "SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1");
                  ResultSet rs = ps.executeQuery()) {
                return rs.next()
                    ? new Head(rs.getLong(1), rs.getString(2))
                    : new Head(0, AuditRecord.GENESIS);
              }
            });
    Optional<String> existing =
        db.read(
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement("SELECT jws FROM audit_checkpoints WHERE seq = ?")) {
                ps.setLong(1, head.seq());
                try (ResultSet rs = ps.executeQuery()) {
                  return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
                }
              }
            });
    if (existing.isPresent()) {
      return existing.get();
    }
    Instant now = clock.instant();
    String jws;
    try {
      jws = new AuditCheckpoint(head.seq(), head.hash(), now).sign(signer);
    } catch (VerificationException e) {
      throw new IllegalStateException("the reporting key cannot sign checkpoints", e);
    }
    Sql.retryOnceOnDuplicateKey(
        () ->
            db.transaction(
                c -> {
                  if (exists(c, head.seq())) {
                    return null;
                  }
                  try (PreparedStatement ps =
                      c.prepareStatement(
                          "INSERT INTO audit_checkpoints (seq, jws, at) VALUES (?, ?, ?)")) {
                    ps.setLong(1, head.seq());
                    ps.setString(2, jws);
                    Sql.setInstant(ps, 3, now);
                    ps.executeUpdate();
                  }
                  return null;
                }));
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT jws FROM audit_checkpoints WHERE seq = ?")) {
            ps.setLong(1, head.seq());
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return rs.getString(1);
            }
          }
        });
  }

  /**
   * Writes the whole log as an export ({@link AuditExport}): a fresh checkpoint is made first, and
   * records are streamed in pages, so that memory does not grow with the log.
   */
  public void export(Consumer<String> lines) {
    checkpoint();
    long after = 0;
    long last = lastCheckpointSeq();
    while (after < last) {
      List<AuditRecord> page =
          list(new Query(null, null, null, null, null, after, 1000)).stream()
              .filter(r -> r.seq() <= last)
              .toList();
      if (page.isEmpty()) {
        break;
      }
      for (AuditRecord r : page) {
        lines.accept(r.toJsonLine());
      }
      after = page.get(page.size() - 1).seq();
    }
    db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT jws FROM audit_checkpoints WHERE seq <= ? ORDER BY seq"); ) {
            ps.setLong(1, last);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                lines.accept(AuditExport.checkpointLine(rs.getString(1)));
              }
            }
          }
          return null;
        });
  }

  private long lastCheckpointSeq() {
    return db.read(
        c -> {
          try (PreparedStatement ps = c.prepareStatement("SELECT MAX(seq) FROM audit_checkpoints");
              ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0L;
          }
        });
  }

  private static boolean exists(Connection c, long seq) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM audit_checkpoints WHERE seq = ?")) {
      ps.setLong(1, seq);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static AuditRecord read(ResultSet rs) throws SQLException {
    return new AuditRecord(
        rs.getLong("seq"),
        Sql.instant(rs, "at"),
        new AuditEntry(
            rs.getString("actor"),
            rs.getString("action"),
            rs.getString("target"),
            rs.getString("outcome"),
            rs.getString("request_id"),
            rs.getString("source"),
            rs.getString("detail")),
        rs.getString("prev_hash"),
        rs.getString("hash"));
  }
}
