package dev.vouch.server.store;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.vouch.policy.ear.EarAlgorithm;
import dev.vouch.policy.ear.SigningKey;
import dev.vouch.policy.ear.SigningKeys;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Token signing keys in the {@code signing_keys} table, private halves sealed by a {@link Sealer}
 * (AAD {@code signing_keys}/kid). One key is current; {@link #rotateIfDue()} replaces it once it is
 * older than the rotation interval, and keeps every superseded key published until all tokens it
 * signed have expired (token lifetime plus one minute of clock skew), after which it is marked
 * retired. Keys are cached in memory and re-read on rotation checks, so replicas sharing the
 * database converge within one check interval. Thread-safe.
 */
public final class JdbcSigningKeys implements SigningKeys {
  static final String TABLE = "signing_keys";
  private static final Duration SKEW = Duration.ofMinutes(1);
  private static final Logger LOG = LoggerFactory.getLogger(JdbcSigningKeys.class);

  /** The table of admin (AAS) token keys: same layout, its own rotation. */
  public static final String AUTH_TABLE = "auth_signing_keys";

  private final Database db;
  private final Sealer sealer;
  private final String table;
  private final EarAlgorithm algorithm;
  private final Duration tokenLifetime;
  private final Duration rotation;
  private final Clock clock;
  private volatile List<SigningKey> keys;

  /** Loads the keys, creating the first one when the table holds no current key. */
  public JdbcSigningKeys(
      Database db,
      Sealer sealer,
      EarAlgorithm algorithm,
      Duration tokenLifetime,
      Duration rotation,
      Clock clock) {
    this(db, sealer, TABLE, algorithm, tokenLifetime, rotation, clock);
  }

  /**
   * Keys in {@code table}: {@value #TABLE} (attestation tokens) or {@value #AUTH_TABLE} (admin
   * tokens), so that each kind of token has keys that sign nothing else.
   */
  public JdbcSigningKeys(
      Database db,
      Sealer sealer,
      String table,
      EarAlgorithm algorithm,
      Duration tokenLifetime,
      Duration rotation,
      Clock clock) {
    if (!table.equals(TABLE) && !table.equals(AUTH_TABLE)) {
      throw new IllegalArgumentException("no signing key table " + table);
    }
    this.db = db;
    this.sealer = sealer;
    this.table = table;
    this.algorithm = algorithm;
    this.tokenLifetime = tokenLifetime;
    this.rotation = rotation;
    this.clock = clock;
    db.transaction(
        c -> {
          if (load(c).stream().noneMatch(k -> k.supersededAt() == null)) {
            insert(c, generate(clock.instant()));
          }
          return null;
        });
    reload();
  }

  @Override
  public SigningKey current() {
    return keys.get(0);
  }

  @Override
  public List<SigningKey> published() {
    return keys;
  }

  /** Re-reads the published keys from the database. */
  public void reload() {
    List<SigningKey> loaded = db.read(this::load);
    if (loaded.isEmpty() || loaded.get(0).supersededAt() != null) {
      throw new StoreException("no current signing key in the database", null);
    }
    keys = List.copyOf(loaded);
  }

  /**
   * Rotates when the current key (or the configured algorithm) is due, and retires superseded keys
   * whose tokens have all expired. Returns the new current key when it rotated.
   */
  public Optional<SigningKey> rotateIfDue() {
    Instant now = clock.instant();
    Optional<SigningKey> rotated =
        db.transaction(
            c -> {
              List<SigningKey> ks = load(c);
              SigningKey cur =
                  ks.stream().filter(k -> k.supersededAt() == null).findFirst().orElse(null);
              Optional<SigningKey> fresh = Optional.empty();
              if (cur == null
                  || cur.algorithm() != algorithm
                  || !cur.created().plus(rotation).isAfter(now)) {
                if (cur != null) {
                  try (PreparedStatement ps =
                      c.prepareStatement(
                          "UPDATE "
                              + table
                              + " SET superseded_at = ? WHERE kid = ?"
                              + " AND superseded_at IS NULL")) {
                    Sql.setInstant(ps, 1, now);
                    ps.setString(2, cur.kid());
                    ps.executeUpdate();
                  }
                }
                SigningKey k = generate(now);
                insert(c, k);
                fresh = Optional.of(k);
              }
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "UPDATE "
                          + table
                          + " SET retired_at = ? WHERE retired_at IS NULL"
                          + " AND superseded_at IS NOT NULL AND superseded_at < ?")) {
                Sql.setInstant(ps, 1, now);
                Sql.setInstant(ps, 2, now.minus(tokenLifetime).minus(SKEW));
                int n = ps.executeUpdate();
                if (n > 0) {
                  LOG.info("signing keys retired count={}", n);
                }
              }
              return fresh;
            });
    rotated.ifPresent(k -> LOG.info("signing key rotated kid={} alg={}", k.kid(), k.algorithm()));
    reload();
    return rotated;
  }

  /** Current key first, then superseded ones newest first; retired keys are left out. */
  private List<SigningKey> load(Connection c) throws SQLException {
    List<SigningKey> current = new ArrayList<>();
    List<SigningKey> older = new ArrayList<>();
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT * FROM " + table + " WHERE retired_at IS NULL ORDER BY created_at DESC");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        SigningKey k = row(rs);
        (k.supersededAt() == null && current.isEmpty() ? current : older).add(k);
      }
    }
    current.addAll(older);
    return current;
  }

  private SigningKey row(ResultSet rs) throws SQLException {
    String kid = rs.getString("kid");
    byte[] sealed = Base64.getDecoder().decode(rs.getString("sealed_private_key"));
    byte[] jwk = sealer.unseal(sealed, table, kid);
    ECKey key;
    try {
      key = ECKey.parse(new String(jwk, StandardCharsets.UTF_8));
    } catch (ParseException e) {
      throw new SQLException("signing key " + kid + " does not parse", e);
    } finally {
      java.util.Arrays.fill(jwk, (byte) 0);
    }
    ECKey published;
    try {
      published = ECKey.parse(rs.getString("public_jwk"));
    } catch (ParseException e) {
      throw new SQLException("public key " + kid + " does not parse", e);
    }
    if (!key.toPublicJWK().equals(published)) {
      throw new SQLException("signing key " + kid + ": sealed and public halves differ");
    }
    return new SigningKey(
        kid,
        key,
        EarAlgorithm.valueOf(rs.getString("alg")),
        Sql.instant(rs, "created_at"),
        Sql.instant(rs, "superseded_at"));
  }

  private void insert(Connection c, SigningKey k) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO "
                + table
                + " (kid, alg, sealed_private_key, public_jwk, created_at)"
                + " VALUES (?, ?, ?, ?, ?)")) {
      ps.setString(1, k.kid());
      ps.setString(2, k.algorithm().name());
      byte[] sealed =
          sealer.seal(k.key().toJSONString().getBytes(StandardCharsets.UTF_8), table, k.kid());
      ps.setString(3, Base64.getEncoder().encodeToString(sealed));
      ps.setString(4, k.publicJwk().toJSONString());
      Sql.setInstant(ps, 5, k.created());
      ps.executeUpdate();
    }
  }

  private SigningKey generate(Instant now) {
    try {
      ECKey k =
          new ECKeyGenerator(algorithm.curve())
              .keyUse(KeyUse.SIGNATURE)
              .algorithm(algorithm.jws())
              .generate();
      String kid = k.computeThumbprint().toString();
      return new SigningKey(kid, new ECKey.Builder(k).keyID(kid).build(), algorithm, now, null);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate a " + algorithm + " key", e);
    }
  }
}
