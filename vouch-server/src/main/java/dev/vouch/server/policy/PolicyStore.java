package dev.vouch.server.policy;

import dev.vouch.policy.DefaultPolicies;
import dev.vouch.policy.PolicyCompiler;
import dev.vouch.policy.PolicyException;
import dev.vouch.policy.trustee.TrusteePolicies;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.VersionedCache;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Appraisal policies by id, with every uploaded version kept in the {@code policies} table. A
 * document is compiled and type-checked before anything is written, so a refused policy leaves no
 * trace. The newest version of an id is the one that counts. Lookups come from a {@link
 * VersionedCache} of the newest versions: an upload or delete bumps the {@code policies} counter in
 * its transaction, takes effect at once on this replica and within {@link
 * VersionedCache#DEFAULT_CHECK} on every other one, without restart or a read per attestation.
 * Compiled policies are cached by id, version and text. The built-in defaults ({@code
 * default-<kind>}) and the translation of Trustee's default policy ({@value
 * TrusteePolicies#BUILTIN_ID}) apply when no stored policy has their id. A document is a rule
 * document or, with a top-level {@code trust_claims} key, a trust claim document ({@link
 * AppraisalPolicy}). Thread-safe.
 */
public final class PolicyStore {
  /** Policy ids: what fits in a URL path segment without escaping. */
  public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

  private final Database db;
  private final PolicyCompiler compiler;
  private final Clock clock;
  private final ConcurrentHashMap<String, AppraisalPolicy> compiled = new ConcurrentHashMap<>();
  // newest stored version by id, filled on lookup; a fresh empty map after every change anywhere
  private final VersionedCache<ConcurrentHashMap<String, Optional<StoredPolicy>>> newest;

  static final String COUNTER = "policies";

  public PolicyStore(Database db, PolicyCompiler compiler, Clock clock) {
    this(db, compiler, clock, VersionedCache.DEFAULT_CHECK);
  }

  /**
   * @param checkEvery how often the cached newest versions are checked against the shared counter
   */
  public PolicyStore(Database db, PolicyCompiler compiler, Clock clock, Duration checkEvery) {
    this.db = db;
    this.compiler = compiler;
    this.clock = clock;
    this.newest = new VersionedCache<>(db, COUNTER, ConcurrentHashMap::new, clock, checkEvery);
  }

  /**
   * Compiles {@code source} and stores it as the next version of {@code id}.
   *
   * @throws PolicyException when it does not compile; nothing is stored then
   * @throws IllegalArgumentException for an id outside {@link #ID}
   */
  public StoredPolicy put(String id, String source) throws PolicyException {
    checkId(id);
    // compile first (version is checked again below): a bad document never reaches the table
    AppraisalPolicy.compile(compiler, id, 1, source);
    OffsetDateTime now = OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    StoredPolicy stored =
        db.transaction(
            c -> {
              int next;
              try (PreparedStatement ps =
                  c.prepareStatement("SELECT MAX(version) FROM policies WHERE id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                  rs.next();
                  next = rs.getInt(1) + 1;
                }
              }
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "INSERT INTO policies (id, version, source, created_at) VALUES (?, ?, ?, ?)")) {
                ps.setString(1, id);
                ps.setInt(2, next);
                ps.setString(3, source);
                ps.setObject(4, now);
                ps.executeUpdate();
              }
              VersionedCache.bump(c, COUNTER);
              return new StoredPolicy(id, next, source, now.toInstant());
            });
    newest.invalidate();
    return stored;
  }

  /** Every stored version of {@code id}, oldest first; empty when there is none. */
  public List<StoredPolicy> versions(String id) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT * FROM policies WHERE id = ? ORDER BY version")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
              List<StoredPolicy> out = new ArrayList<>();
              while (rs.next()) {
                out.add(row(rs));
              }
              return out;
            }
          }
        });
  }

  /** The newest stored version of {@code id}. */
  public Optional<StoredPolicy> latest(String id) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT * FROM policies WHERE id = ? ORDER BY version DESC FETCH FIRST 1 ROWS"
                      + " ONLY")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
          }
        });
  }

  /** Ids of all stored policies, sorted. */
  public List<String> ids() {
    return db.read(
        c -> {
          try (PreparedStatement ps =
                  c.prepareStatement("SELECT DISTINCT id FROM policies ORDER BY id");
              ResultSet rs = ps.executeQuery()) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
              out.add(rs.getString(1));
            }
            return out;
          }
        });
  }

  /** Deletes every version of {@code id}; true when there was one. */
  public boolean delete(String id) {
    boolean deleted =
        db.transaction(
            c -> {
              try (PreparedStatement ps = c.prepareStatement("DELETE FROM policies WHERE id = ?")) {
                ps.setString(1, id);
                if (ps.executeUpdate() == 0) {
                  return false;
                }
              }
              VersionedCache.bump(c, COUNTER);
              return true;
            });
    newest.invalidate();
    return deleted;
  }

  /**
   * The compiled policy that counts for {@code id}: the newest stored version, else the built-in
   * default for {@code default-<kind>} or {@value TrusteePolicies#BUILTIN_ID}.
   */
  public Optional<AppraisalPolicy> resolve(String id) {
    Optional<StoredPolicy> stored = newest.get().computeIfAbsent(id, this::latest);
    if (stored.isPresent()) {
      StoredPolicy s = stored.get();
      String key = s.id() + "\u0000" + s.version() + "\u0000" + s.source();
      return Optional.of(
          compiled.computeIfAbsent(
              key,
              k -> {
                try {
                  return AppraisalPolicy.compile(compiler, s.id(), s.version(), s.source());
                } catch (PolicyException e) {
                  // it compiled on upload; a failure now means the compiler changed
                  throw new IllegalStateException("stored policy no longer compiles: " + e, e);
                }
              }));
    }
    for (String kind : DefaultPolicies.KINDS) {
      if (DefaultPolicies.id(kind).equals(id)) {
        return Optional.of(
            compiled.computeIfAbsent(
                id, k -> new AppraisalPolicy.Rules(DefaultPolicies.load(kind))));
      }
    }
    if (TrusteePolicies.BUILTIN_ID.equals(id)) {
      return Optional.of(
          compiled.computeIfAbsent(
              id, k -> new AppraisalPolicy.TrustClaims(TrusteePolicies.earDefaultCpu(), 0)));
    }
    return Optional.empty();
  }

  private static void checkId(String id) {
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "policy id must be 1-128 of A-Z a-z 0-9 _ . - starting with a letter or digit");
    }
  }

  private static StoredPolicy row(ResultSet rs) throws SQLException {
    return new StoredPolicy(
        rs.getString("id"),
        rs.getInt("version"),
        rs.getString("source"),
        rs.getObject("created_at", OffsetDateTime.class).toInstant());
  }
}
