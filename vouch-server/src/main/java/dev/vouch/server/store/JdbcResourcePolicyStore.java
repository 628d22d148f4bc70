package dev.vouch.server.store;

import dev.vouch.server.kbs.ResourcePolicyStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.Optional;

/**
 * The KBS resource policy as the single row of {@code kbs_policy}. Thread-safe. Read on every
 * resource request, so {@link #load} answers from a {@link VersionedCache} that a {@link #save} on
 * any replica invalidates ({@code kbs_resource_policy} counter).
 */
public final class JdbcResourcePolicyStore implements ResourcePolicyStore {
  static final String COUNTER = "kbs_resource_policy";

  private final Database db;
  private final Clock clock;
  private final VersionedCache<Optional<String>> cache;

  public JdbcResourcePolicyStore(Database db, Clock clock) {
    this(db, clock, VersionedCache.DEFAULT_CHECK);
  }

  /**
   * @param checkEvery how often the cached policy is checked against the shared counter
   */
  public JdbcResourcePolicyStore(Database db, Clock clock, java.time.Duration checkEvery) {
    this.db = db;
    this.clock = clock;
    this.cache = new VersionedCache<>(db, COUNTER, this::read, clock, checkEvery);
  }

  @Override
  public Optional<String> load() {
    return cache.get();
  }

  private Optional<String> read() {
    return db.read(
        c -> {
          try (PreparedStatement ps =
                  c.prepareStatement("SELECT source FROM kbs_policy WHERE id = 1");
              ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
          }
        });
  }

  @Override
  public void save(String source) {
    db.transaction(
        c -> {
          // the single row is updated in place; only the very first policy inserts it
          try (PreparedStatement up =
              c.prepareStatement("UPDATE kbs_policy SET source = ?, updated_at = ? WHERE id = 1")) {
            up.setString(1, source);
            Sql.setInstant(up, 2, clock.instant());
            if (up.executeUpdate() == 1) {
              VersionedCache.bump(c, COUNTER);
              return null;
            }
          }
          try (PreparedStatement ins =
              c.prepareStatement(
                  "INSERT INTO kbs_policy (id, source, updated_at) VALUES (1, ?, ?)")) {
            ins.setString(1, source);
            Sql.setInstant(ins, 2, clock.instant());
            ins.executeUpdate();
          }
          VersionedCache.bump(c, COUNTER);
          return null;
        });
    cache.invalidate();
  }
}
