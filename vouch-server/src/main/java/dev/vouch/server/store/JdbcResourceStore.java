package dev.vouch.server.store;

import dev.vouch.server.kbs.KbsError;
import dev.vouch.server.kbs.ResourcePath;
import dev.vouch.server.kbs.ResourceStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * KBS resources in the {@code kbs_resources} table, each value sealed with AES-256-GCM under the
 * server's key-encryption key and bound to its path (a sealed value copied to another path does not
 * open). Each write is one transaction; listing reads paths only and never unseals. Thread-safe.
 */
public final class JdbcResourceStore implements ResourceStore {
  /** The table name, also the sealing context. */
  static final String TABLE = "kbs_resources";

  private final Database db;
  private final Sealer sealer;
  private final Clock clock;

  public JdbcResourceStore(Database db, Sealer sealer, Clock clock) {
    this.db = db;
    this.sealer = sealer;
    this.clock = clock;
  }

  @Override
  public void put(ResourcePath path, byte[] value) {
    String key = path.toString();
    String sealed = Base64.getEncoder().encodeToString(sealer.seal(value, TABLE, key));
    // two writers creating the same new path at once: the loser's insert hits the key
    Sql.retryOnceOnDuplicateKey(() -> write(key, sealed));
  }

  private void write(String key, String sealed) {
    db.transaction(
        c -> {
          try (PreparedStatement up =
              c.prepareStatement(
                  "UPDATE kbs_resources SET sealed_value = ?, updated_at = ? WHERE path = ?")) {
            up.setString(1, sealed);
            Sql.setInstant(up, 2, clock.instant());
            up.setString(3, key);
            if (up.executeUpdate() == 1) {
              return null;
            }
          }
          try (PreparedStatement ins =
              c.prepareStatement(
                  "INSERT INTO kbs_resources (path, sealed_value, updated_at) VALUES (?, ?, ?)")) {
            ins.setString(1, key);
            ins.setString(2, sealed);
            Sql.setInstant(ins, 3, clock.instant());
            ins.executeUpdate();
          }
          return null;
        });
  }

  /**
   * {@inheritDoc}
   *
   * @throws Sealer.SealedDataException when the stored value does not open under this KEK
   */
  @Override
  public Optional<byte[]> get(ResourcePath path) {
    String key = path.toString();
    Optional<String> sealed =
        db.read(
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement("SELECT sealed_value FROM kbs_resources WHERE path = ?")) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                  return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
                }
              }
            });
    return sealed.map(s -> sealer.unseal(Base64.getDecoder().decode(s), TABLE, key));
  }

  @Override
  public boolean delete(ResourcePath path) {
    return db.transaction(c -> delete(c, path.toString()) > 0);
  }

  private static int delete(Connection c, String key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM kbs_resources WHERE path = ?")) {
      ps.setString(1, key);
      return ps.executeUpdate();
    }
  }

  @Override
  public List<ResourcePath> list() {
    List<String> keys =
        db.read(
            c -> {
              try (PreparedStatement ps = c.prepareStatement("SELECT path FROM kbs_resources");
                  ResultSet rs = ps.executeQuery()) {
                List<String> out = new ArrayList<>();
                while (rs.next()) {
                  out.add(rs.getString(1));
                }
                return out;
              }
            });
    List<ResourcePath> out = new ArrayList<>();
    for (String k : keys) {
      try {
        out.add(ResourcePath.parse(k));
      } catch (KbsError e) {
        throw new StoreException("stored resource path is invalid: " + e.detail(), e);
      }
    }
    // sorted here, not by ORDER BY: PostgreSQL's collation would order differently from H2's
    out.sort(Comparator.comparing(ResourcePath::toString));
    return out;
  }
}
