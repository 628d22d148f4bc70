package dev.vouch.server.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.policy.rvps.Provenance;
import dev.vouch.policy.rvps.ReferenceValue;
import dev.vouch.policy.rvps.ReferenceValueStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reference values in the {@code reference_values} table. A batch is written in one transaction
 * (all or nothing); registering a name again replaces it. Values are JSON text; integers read back
 * as {@code Long}. Thread-safe. {@link #referenceMap}, read on every attestation, comes from a
 * {@link VersionedCache} that every write invalidates on all replicas ({@code reference_values}
 * counter).
 */
public final class JdbcReferenceValueStore implements ReferenceValueStore {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_LONG_FOR_INTS);

  static final String COUNTER = "reference_values";

  private final Database db;
  private final VersionedCache<List<ReferenceValue>> cache;

  public JdbcReferenceValueStore(Database db) {
    this(db, java.time.Clock.systemUTC(), VersionedCache.DEFAULT_CHECK);
  }

  /**
   * @param checkEvery how often the cached values are checked against the shared counter
   */
  public JdbcReferenceValueStore(
      Database db, java.time.Clock clock, java.time.Duration checkEvery) {
    this.db = db;
    this.cache = new VersionedCache<>(db, COUNTER, this::list, clock, checkEvery);
  }

  @Override
  public void putAll(Collection<ReferenceValue> values) {
    db.transaction(
        c -> {
          try (PreparedStatement del =
                  c.prepareStatement("DELETE FROM reference_values WHERE name = ?");
              PreparedStatement ins =
                  c.prepareStatement(
                      "INSERT INTO reference_values (name, value_json, provenance, not_before,"
                          + " expires) VALUES (?, ?, ?, ?, ?)")) {
            for (ReferenceValue v : values) {
              del.setString(1, v.name());
              del.executeUpdate();
              ins.setString(1, v.name());
              ins.setString(2, write(v.values()));
              ins.setString(3, write(provenance(v.provenance())));
              Sql.setInstant(ins, 4, v.notBefore());
              Sql.setInstant(ins, 5, v.expires());
              ins.executeUpdate();
            }
          }
          VersionedCache.bump(c, COUNTER);
          return null;
        });
    cache.invalidate();
  }

  @Override
  public Optional<ReferenceValue> query(String name, Instant at) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT * FROM reference_values WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(row(rs)).filter(v -> v.validAt(at)) : Optional.empty();
            }
          }
        });
  }

  @Override
  public List<ReferenceValue> list() {
    return db.read(
        c -> {
          try (PreparedStatement ps =
                  c.prepareStatement("SELECT * FROM reference_values ORDER BY name");
              ResultSet rs = ps.executeQuery()) {
            List<ReferenceValue> out = new ArrayList<>();
            while (rs.next()) {
              out.add(row(rs));
            }
            return out;
          }
        });
  }

  @Override
  public boolean remove(String name) {
    boolean removed =
        db.transaction(
            c -> {
              if (delete(c, name) == 0) {
                return false;
              }
              VersionedCache.bump(c, COUNTER);
              return true;
            });
    cache.invalidate();
    return removed;
  }

  /** The values valid at {@code at}, by name, from the cache (no database read between changes). */
  @Override
  public Map<String, List<Object>> referenceMap(Instant at) {
    Map<String, List<Object>> out = new java.util.TreeMap<>();
    for (ReferenceValue v : cache.get()) {
      if (v.validAt(at)) {
        out.put(v.name(), v.values());
      }
    }
    return out;
  }

  private static int delete(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM reference_values WHERE name = ?")) {
      ps.setString(1, name);
      return ps.executeUpdate();
    }
  }

  private static ReferenceValue row(ResultSet rs) throws SQLException {
    List<Object> values = read(rs.getString("value_json"), new TypeReference<List<Object>>() {});
    Map<String, Object> p =
        read(rs.getString("provenance"), new TypeReference<Map<String, Object>>() {});
    Provenance provenance =
        new Provenance(
            Provenance.Kind.valueOf(String.valueOf(p.get("kind"))),
            (String) p.get("signer"),
            Instant.parse(String.valueOf(p.get("registered_at"))));
    return new ReferenceValue(
        rs.getString("name"),
        values,
        provenance,
        Sql.instant(rs, "not_before"),
        Sql.instant(rs, "expires"));
  }

  private static Map<String, Object> provenance(Provenance p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", p.kind().name());
    m.put("signer", p.signer());
    m.put("registered_at", p.registeredAt().toString());
    return m;
  }

  private static String write(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("reference value is not JSON-serialisable", e);
    }
  }

  private static <T> T read(String s, TypeReference<T> type) throws SQLException {
    try {
      return JSON.readValue(s, type);
    } catch (JsonProcessingException e) {
      throw new SQLException("stored reference value is not valid JSON", e);
    }
  }
}
