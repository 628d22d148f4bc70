package dev.vouch.server.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.server.kbs.KbsError;
import dev.vouch.server.kbs.Session;
import dev.vouch.server.kbs.SessionStore;
import dev.vouch.server.kbs.TeePublicKey;
import dev.vouch.server.kbs.TokenClaims;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * KBS sessions in the {@code kbs_sessions} table, shared by every replica on the database, so a
 * handshake may continue on any replica. Rows are keyed by SHA-256 of the session id. {@link
 * #transition} is one conditional {@code UPDATE ... WHERE id_hash = ? AND state = ? AND expires_at
 * > ?}: of two replicas racing to consume a nonce, the database lets exactly one update the row.
 * The attestation of an attested session (its token and TEE key) is sealed under the key-encryption
 * key, bound to the row. Thread-safe.
 *
 * <p>Each replica remembers the sessions it created or moved (a bounded map, newest kept). An
 * attested session is final until it expires, so {@link #find} answers it from memory; any other
 * state may have been moved by another replica, so {@link #find} reads the row, and only {@link
 * #claimable} (whose caller then makes a {@link #transition}, checked by the database) may answer
 * from memory. A handshake that stays on one replica thus costs one insert and two updates.
 */
public final class JdbcSessionStore implements SessionStore {
  static final String TABLE = "kbs_sessions";
  private static final ObjectMapper JSON = new ObjectMapper();

  // enough for the sessions of the last few seconds at 1,000 handshakes/s: a handshake's steps
  // follow each other within milliseconds, and a miss only costs the database read
  private static final int REMEMBERED = 8192;

  private final Database db;
  private final Sealer sealer;
  private final Map<String, Session> known =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Session> eldest) {
          return size() > REMEMBERED;
        }
      };

  public JdbcSessionStore(Database db, Sealer sealer) {
    this.db = db;
    this.sealer = sealer;
  }

  @Override
  public void create(Session session) {
    String key = key(session.id());
    db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO kbs_sessions (id_hash, tee, nonce, state, expires_at,"
                      + " sealed_attestation) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, key);
            ps.setString(2, session.tee().name());
            ps.setString(3, session.nonce());
            ps.setString(4, session.state().name());
            Sql.setInstant(ps, 5, session.expiresAt());
            ps.setString(6, sealedAttestation(key, session).orElse(null));
            ps.executeUpdate();
          }
          return null;
        });
    remember(key, session);
  }

  @Override
  public Optional<Session> find(String id, Instant now) {
    String key = key(id);
    Session mine = remembered(key, now);
    if (mine != null && mine.state() == Session.State.ATTESTED) {
      return Optional.of(mine);
    }
    Optional<Session> stored = read(id, key, now);
    stored.filter(x -> x.state() == Session.State.ATTESTED).ifPresent(x -> remember(key, x));
    return stored;
  }

  @Override
  public Optional<Session> claimable(String id, Instant now) {
    String key = key(id);
    Session mine = remembered(key, now);
    return mine != null ? Optional.of(mine) : read(id, key, now);
  }

  private Optional<Session> read(String id, String key, Instant now) {
    Optional<Row> row =
        db.read(
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT tee, nonce, state, expires_at, sealed_attestation FROM kbs_sessions"
                          + " WHERE id_hash = ?")) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                  return rs.next() ? Optional.of(row(rs)) : Optional.empty();
                }
              }
            });
    if (row.isEmpty()) {
      return Optional.empty();
    }
    Row r = row.get();
    if (!now.isBefore(r.expiresAt())) {
      db.transaction(
          c -> {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "DELETE FROM kbs_sessions WHERE id_hash = ? AND expires_at <= ?")) {
              ps.setString(1, key);
              Sql.setInstant(ps, 2, now);
              return ps.executeUpdate();
            }
          });
      return Optional.empty();
    }
    return Optional.of(session(id, key, r));
  }

  @Override
  public boolean transition(Session.State expected, Session next, Instant now) {
    String key = key(next.id());
    Optional<String> sealed = sealedAttestation(key, next);
    boolean moved =
        db.transaction(
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "UPDATE kbs_sessions SET state = ?, sealed_attestation = ?"
                          + " WHERE id_hash = ? AND state = ? AND expires_at > ?")) {
                ps.setString(1, next.state().name());
                ps.setString(2, sealed.orElse(null));
                ps.setString(3, key);
                ps.setString(4, expected.name());
                Sql.setInstant(ps, 5, now);
                return ps.executeUpdate() == 1;
              }
            });
    if (moved) {
      remember(key, next);
    } else {
      forget(key);
    }
    return moved;
  }

  @Override
  public long countUnattested(Instant now) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT COUNT(*) FROM kbs_sessions WHERE state <> ? AND expires_at > ?")) {
            ps.setString(1, Session.State.ATTESTED.name());
            Sql.setInstant(ps, 2, now);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return rs.getLong(1);
            }
          }
        });
  }

  @Override
  public int removeExpired(Instant now) {
    synchronized (known) {
      known.values().removeIf(x -> x.expiredAt(now));
    }
    return db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM kbs_sessions WHERE expires_at <= ?")) {
            Sql.setInstant(ps, 1, now);
            return ps.executeUpdate();
          }
        });
  }

  /** How many session rows exist (expired ones included until swept). */
  public int size() {
    return db.read(
        c -> {
          try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM kbs_sessions");
              ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
          }
        });
  }

  private record Row(
      String tee, String nonce, String state, Instant expiresAt, Optional<String> sealed) {}

  private static Row row(ResultSet rs) throws SQLException {
    return new Row(
        rs.getString("tee"),
        rs.getString("nonce"),
        rs.getString("state"),
        Sql.instant(rs, "expires_at"),
        Optional.ofNullable(rs.getString("sealed_attestation")));
  }

  private Session session(String id, String key, Row r) {
    Tee tee;
    Session.State state;
    try {
      tee = Tee.valueOf(r.tee());
      state = Session.State.valueOf(r.state());
    } catch (IllegalArgumentException e) {
      throw new StoreException("stored KBS session has an unknown TEE or state", e);
    }
    Session s = Session.authed(id, tee, r.nonce(), r.expiresAt());
    if (state != Session.State.ATTESTED) {
      return s.with(state);
    }
    if (r.sealed().isEmpty()) {
      throw new StoreException("stored attested KBS session lacks its attestation", null);
    }
    byte[] plain = sealer.unseal(Base64.getDecoder().decode(r.sealed().get()), TABLE, key);
    try {
      JsonNode a = JSON.readTree(plain);
      String token = a.path("token").asText();
      // the claims are derived from the token again, exactly as the attest step derived them
      return s.attested(
          new Session.Attested(
              token,
              TokenClaims.parse(token).asPolicyValues(),
              TeePublicKey.parse(a.get("tee_pubkey")),
              Instant.parse(a.path("token_expires_at").asText())));
    } catch (IOException | VerificationException | KbsError | RuntimeException e) {
      throw new StoreException("stored KBS session attestation is unreadable", e);
    }
  }

  private Optional<String> sealedAttestation(String key, Session s) {
    if (s.attested().isEmpty()) {
      return Optional.empty();
    }
    Session.Attested a = s.attested().get();
    ObjectNode n = JSON.createObjectNode();
    n.put("token", a.token());
    n.set("tee_pubkey", a.teeKey().json());
    n.put("token_expires_at", a.tokenExpiresAt().toString());
    byte[] plain;
    try {
      plain = JSON.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException("cannot happen for a JSON tree", e);
    }
    return Optional.of(Base64.getEncoder().encodeToString(sealer.seal(plain, TABLE, key)));
  }

  private void remember(String key, Session session) {
    synchronized (known) {
      known.put(key, session);
    }
  }

  private void forget(String key) {
    synchronized (known) {
      known.remove(key);
    }
  }

  private Session remembered(String key, Instant now) {
    Session s;
    synchronized (known) {
      s = known.get(key);
    }
    return s == null || s.expiredAt(now) ? null : s;
  }

  private static String key(String id) {
    return Hex.encode(HashAlg.SHA256.digest(id.getBytes(StandardCharsets.UTF_8)));
  }
}
