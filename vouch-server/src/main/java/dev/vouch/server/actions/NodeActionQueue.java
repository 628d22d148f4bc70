package dev.vouch.server.actions;

import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sql;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Kubernetes node actions failing hosts need, kept in the server's database (table {@code
 * node_actions}) and carried out by one background thread, retried with exponential backoff until
 * the API server has done them.
 *
 * <p>Why a queue: the API server may be down when a host fails, and a host that stays failed
 * produces no further status change, so an action tried only once on the change would be lost.
 * Attestation workers only write a row ({@link #enqueue}); they never wait on the API server. A
 * restarted server finds pending rows and carries on. Replicas sharing a database may both carry
 * out a row; cordoning is idempotent and eviction of an already evicted pod is a no-op, so that
 * costs one redundant API call, never a wrong node state.
 *
 * <p>Thread-safe.
 */
public final class NodeActionQueue implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(NodeActionQueue.class.getName());
  private static final String COLUMNS =
      "host_id, kind, host_name, reason, state, attempts, last_error, result, requested_at,"
          + " next_attempt_at, done_at";

  /** What is to be done to the host's nodes. */
  public enum Kind {
    CORDON,
    EVICT,
    /** Set the trust label; the reason column holds the {@link NodeTrust} value. */
    LABEL
  }

  /** Whether the API server has done it. */
  public enum State {
    PENDING,
    DONE
  }

  /**
   * One action as stored.
   *
   * @param hostId the host
   * @param kind what is to be done
   * @param hostName the host's name, for finding its node by name
   * @param reason why (the cordon reason annotation)
   * @param state pending until the API server has done it
   * @param attempts API attempts so far
   * @param lastError the last attempt's error, while it failed
   * @param result what the last successful attempt did, per node
   * @param requested when it was asked for
   * @param nextAttempt when a pending action is tried next
   * @param done when it was done
   */
  public record Entry(
      String hostId,
      Kind kind,
      String hostName,
      String reason,
      State state,
      int attempts,
      Optional<String> lastError,
      Optional<String> result,
      Instant requested,
      Instant nextAttempt,
      Optional<Instant> done) {}

  /**
   * Retry timing.
   *
   * @param firstBackoff the wait after the first failed attempt; doubled after each further one
   * @param maxBackoff the longest wait between attempts
   * @param poll how often the worker looks for due actions even when nothing was enqueued
   */
  public record Settings(Duration firstBackoff, Duration maxBackoff, Duration poll) {
    public Settings {
      if (firstBackoff.isNegative()
          || firstBackoff.isZero()
          || maxBackoff.compareTo(firstBackoff) < 0) {
        throw new IllegalArgumentException("backoff must be positive and at most maxBackoff");
      }
      if (poll.isNegative() || poll.isZero()) {
        throw new IllegalArgumentException("poll must be positive");
      }
    }

    /** 1 s doubling to 5 min; looks every 2 s. */
    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(1), Duration.ofMinutes(5), Duration.ofSeconds(2));
    }
  }

  private final Database db;
  private final NodeActions nodes;
  private final Clock clock;
  private final Settings settings;
  private final ScheduledExecutorService worker;
  private volatile boolean started;

  public NodeActionQueue(Database db, NodeActions nodes, Clock clock, Settings settings) {
    this.db = Objects.requireNonNull(db, "db");
    this.nodes = Objects.requireNonNull(nodes, "nodes");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.worker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "vouch-node-actions");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts the background worker: due actions are carried out every {@link Settings#poll}. */
  public void start() {
    started = true;
    long ms = settings.poll().toMillis();
    worker.scheduleWithFixedDelay(this::runDueQuietly, 0, ms, TimeUnit.MILLISECONDS);
  }

  /**
   * Records that the host's nodes need this action; returns at once (one database write). A pending
   * action keeps its backoff; a done one becomes pending again, due now.
   */
  public void enqueue(HostRef host, Kind kind, String reason) {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(reason, "reason");
    // whole milliseconds: every database stores them exactly, so the requested_at guard compares
    // equal
    Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    Sql.retryOnceOnDuplicateKey(
        () ->
            db.transaction(
                c -> {
                  try (PreparedStatement up =
                      c.prepareStatement(
                          "UPDATE node_actions SET state = 'PENDING', reason = ?, host_name = ?,"
                              + " attempts = 0, last_error = NULL, requested_at = ?,"
                              + " next_attempt_at = ?, done_at = NULL"
                              + " WHERE host_id = ? AND kind = ? AND state = 'DONE'")) {
                    up.setString(1, reason);
                    up.setString(2, host.hostName());
                    Sql.setInstant(up, 3, now);
                    Sql.setInstant(up, 4, now);
                    up.setString(5, host.hostId());
                    up.setString(6, kind.name());
                    if (up.executeUpdate() > 0) {
                      return null;
                    }
                  }
                  if (kind == Kind.LABEL) {
                    // a label still pending takes the newest verdict: a stale 'verified' must not
                    // be written after the host failed
                    try (PreparedStatement up =
                        c.prepareStatement(
                            "UPDATE node_actions SET reason = ?, host_name = ?"
                                + " WHERE host_id = ? AND kind = ? AND state = 'PENDING'")) {
                      up.setString(1, reason);
                      up.setString(2, host.hostName());
                      up.setString(3, host.hostId());
                      up.setString(4, kind.name());
                      up.executeUpdate();
                    }
                  }
                  if (exists(c, host.hostId(), kind)) {
                    return null;
                  }
                  try (PreparedStatement ins =
                      c.prepareStatement(
                          "INSERT INTO node_actions ("
                              + COLUMNS
                              + ") VALUES (?, ?, ?, ?, 'PENDING', 0, NULL, NULL, ?, ?, NULL)")) {
                    ins.setString(1, host.hostId());
                    ins.setString(2, kind.name());
                    ins.setString(3, host.hostName());
                    ins.setString(4, reason);
                    Sql.setInstant(ins, 5, now);
                    Sql.setInstant(ins, 6, now);
                    ins.executeUpdate();
                  }
                  return null;
                }));
    // run soon, off the caller's thread
    if (started && !worker.isShutdown()) {
      worker.execute(this::runDueQuietly);
    }
  }

  private static boolean exists(java.sql.Connection c, String hostId, Kind kind)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM node_actions WHERE host_id = ? AND kind = ?")) {
      ps.setString(1, hostId);
      ps.setString(2, kind.name());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * Drops the host's pending actions (an administrator's fresh onboarding restores its nodes).
   *
   * @return how many were dropped
   */
  public int cancelPending(String hostId) {
    return db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "DELETE FROM node_actions WHERE host_id = ? AND state = 'PENDING'")) {
            ps.setString(1, hostId);
            return ps.executeUpdate();
          }
        });
  }

  /** The host's node actions, cordon first. */
  public List<Entry> of(String hostId) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT " + COLUMNS + " FROM node_actions WHERE host_id = ? ORDER BY kind")) {
            ps.setString(1, hostId);
            return rows(ps);
          }
        });
  }

  /** Every pending action. */
  public List<Entry> pending() {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + COLUMNS
                      + " FROM node_actions WHERE state = 'PENDING' ORDER BY next_attempt_at")) {
            return rows(ps);
          }
        });
  }

  /**
   * Carries out every pending action that is due, on the calling thread (the worker calls this).
   *
   * @return how many were attempted
   */
  public synchronized int runDue() {
    Instant now = clock.instant();
    List<Entry> due = pending().stream().filter(e -> !e.nextAttempt().isAfter(now)).toList();
    for (Entry e : due) {
      attempt(e);
    }
    return due.size();
  }

  private void runDueQuietly() {
    try {
      runDue();
    } catch (RuntimeException e) {
      // a database hiccup must not kill the worker; the next round tries again
      LOG.log(Level.WARNING, "node actions: " + e.getMessage(), e);
    }
  }

  private void attempt(Entry e) {
    HostRef host = new HostRef(e.hostId(), e.hostName());
    String result;
    try {
      List<String> names = nodes.nodesOf(host);
      Map<String, ?> perNode =
          switch (e.kind()) {
            case CORDON -> {
              Map<String, NodeActions.Outcome> m = new java.util.LinkedHashMap<>();
              for (String n : names) {
                m.put(n, nodes.cordon(n, e.reason()));
              }
              yield m;
            }
            case LABEL -> {
              NodeTrust trust =
                  NodeTrust.parse(e.reason())
                      .orElseThrow(() -> new NodeActionException("no trust value " + e.reason()));
              Map<String, NodeActions.Outcome> m = new java.util.LinkedHashMap<>();
              for (String n : names) {
                m.put(n, nodes.label(n, trust));
              }
              yield m;
            }
            case EVICT -> {
              Map<String, NodeActions.Eviction> m = new java.util.LinkedHashMap<>();
              for (String n : names) {
                m.put(n, nodes.evictPods(n));
              }
              yield m;
            }
          };
      if (names.isEmpty()) {
        LOG.warning(() -> "host " + e.hostId() + ": no Kubernetes node to " + e.kind());
      }
      result = perNode.isEmpty() ? "no node" : perNode.toString();
    } catch (NodeActionException | RuntimeException x) {
      failed(e, x.getMessage() == null ? x.toString() : x.getMessage());
      return;
    }
    done(e, result);
  }

  private void done(Entry e, String result) {
    Instant now = clock.instant();
    update(
        e,
        "UPDATE node_actions SET state = 'DONE', attempts = attempts + 1, last_error = NULL,"
            + " result = ?, done_at = ? WHERE host_id = ? AND kind = ? AND requested_at = ?",
        ps -> {
          ps.setString(1, bounded(result));
          Sql.setInstant(ps, 2, now);
          ps.setString(3, e.hostId());
          ps.setString(4, e.kind().name());
          Sql.setInstant(ps, 5, e.requested());
        });
    LOG.info(() -> "host " + e.hostId() + ": " + e.kind() + " done: " + result);
  }

  private void failed(Entry e, String error) {
    int attempts = e.attempts() + 1;
    Instant next = clock.instant().plus(backoff(attempts));
    update(
        e,
        "UPDATE node_actions SET attempts = ?, last_error = ?, next_attempt_at = ?"
            + " WHERE host_id = ? AND kind = ? AND requested_at = ? AND state = 'PENDING'",
        ps -> {
          ps.setInt(1, attempts);
          ps.setString(2, bounded(error));
          Sql.setInstant(ps, 3, next);
          ps.setString(4, e.hostId());
          ps.setString(5, e.kind().name());
          Sql.setInstant(ps, 6, e.requested());
        });
    LOG.warning(
        () ->
            "host "
                + e.hostId()
                + ": "
                + e.kind()
                + " attempt "
                + attempts
                + " failed, next at "
                + next
                + ": "
                + error);
  }

  /** The wait after {@code attempts} failed attempts: first, doubled each time, capped. */
  Duration backoff(int attempts) {
    Duration d = settings.firstBackoff();
    for (int i = 1; i < attempts && d.compareTo(settings.maxBackoff()) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : d;
  }

  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private void update(Entry e, String sql, Binder binder) {
    // the requested_at guard: a newer request made meanwhile is not marked done by an older attempt
    db.transaction(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            return ps.executeUpdate();
          }
        });
  }

  private static String bounded(String s) {
    return s.length() <= 2000 ? s : s.substring(0, 1997) + "...";
  }

  private static List<Entry> rows(PreparedStatement ps) throws SQLException {
    List<Entry> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(
            new Entry(
                rs.getString("host_id"),
                Kind.valueOf(rs.getString("kind")),
                rs.getString("host_name"),
                rs.getString("reason"),
                State.valueOf(rs.getString("state")),
                rs.getInt("attempts"),
                Optional.ofNullable(rs.getString("last_error")),
                Optional.ofNullable(rs.getString("result")),
                Sql.instant(rs, "requested_at"),
                Sql.instant(rs, "next_attempt_at"),
                Optional.ofNullable(Sql.instant(rs, "done_at"))));
      }
    }
    return out;
  }

  /** Stops the worker; pending actions stay in the database for the next start. */
  @Override
  public void close() {
    worker.shutdownNow();
    try {
      worker.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
