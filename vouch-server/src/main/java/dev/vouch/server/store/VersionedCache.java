package dev.vouch.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * A value loaded from the database and kept in memory, consistent across replicas that share the
 * database: every write of the underlying rows calls {@link #bump} in its transaction, which
 * increments the value's counter in {@code config_versions}; a reader checks that one row at most
 * once per {@code checkEvery} and loads the value again when the counter moved. So a change made on
 * one replica is used by every replica within {@code checkEvery} (plus one load), and the replica
 * that made it uses it at once ({@link #invalidate}). Thread-safe; readers between checks take no
 * lock and touch no connection.
 */
public final class VersionedCache<T> {
  /** How often replicas look at the counter by default: well inside the one-second promise. */
  public static final Duration DEFAULT_CHECK = Duration.ofMillis(250);

  private final Database db;
  private final String name;
  private final Supplier<T> loader;
  private final Clock clock;
  private final Duration checkEvery;

  private record Snapshot<T>(long version, T value, Instant checkedAt) {}

  private volatile Snapshot<T> snapshot;

  /**
   * @param name the counter's row in {@code config_versions} (created by a migration)
   * @param loader reads the value from the database; called again after every change
   */
  public VersionedCache(
      Database db, String name, Supplier<T> loader, Clock clock, Duration checkEvery) {
    this.db = db;
    this.name = name;
    this.loader = loader;
    this.clock = clock;
    this.checkEvery = checkEvery;
  }

  /** The value, re-loaded when another replica (or this one) changed it since the last check. */
  public T get() {
    Snapshot<T> s = snapshot;
    Instant now = clock.instant();
    if (s != null && now.isBefore(s.checkedAt().plus(checkEvery))) {
      return s.value();
    }
    synchronized (this) {
      s = snapshot;
      if (s != null && now.isBefore(s.checkedAt().plus(checkEvery))) {
        return s.value();
      }
      // the counter first: a change that lands during the load moves it again, and the next check
      // loads once more, so a stale value never outlives one check interval
      long version = db.read(c -> version(c, name));
      if (s != null && s.version() == version) {
        snapshot = new Snapshot<>(version, s.value(), now);
        return s.value();
      }
      T value = loader.get();
      snapshot = new Snapshot<>(version, value, now);
      return value;
    }
  }

  /** Forgets the loaded value: the next {@link #get} loads it (after this replica's own write). */
  public void invalidate() {
    snapshot = null;
  }

  /**
   * Increments counter {@code name}; call it inside the transaction that changes the rows.
   *
   * @throws SQLException when the counter row is missing (the migration did not run)
   */
  public static void bump(Connection c, String name) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("UPDATE config_versions SET version = version + 1 WHERE name = ?")) {
      ps.setString(1, name);
      if (ps.executeUpdate() != 1) {
        throw new SQLException("no config_versions row '" + name + "'");
      }
    }
  }

  static long version(Connection c, String name) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT version FROM config_versions WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("no config_versions row '" + name + "'");
        }
        return rs.getLong(1);
      }
    }
  }
}
