package dev.vouch.server.store;

import dev.vouch.server.kbs.ResourcePolicyStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.Optional;

/** The KBS resource policy as the single row of {@code kbs_policy}. Thread-safe. */
public final class JdbcResourcePolicyStore implements ResourcePolicyStore {
  private final Database db;
  private final Clock clock;

  public JdbcResourcePolicyStore(Database db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  @Override
  public Optional<String> load() {
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
          return null;
        });
  }
}
