package dev.vouch.server.store;

import dev.vouch.core.bytes.Hex;
import dev.vouch.server.registrar.EnrolledHost;
import dev.vouch.server.registrar.EnrollmentStore;
import dev.vouch.server.registrar.PendingChallenge;
import dev.vouch.server.registrar.Placement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Base64;
import java.util.Optional;

/**
 * The registrar's challenges and enrolled hosts in the server's database (tables {@code
 * enrollment_challenges} and {@code enrolled_hosts}), shared by every replica and kept across
 * restarts, so an agent may answer its challenge on any replica.
 *
 * <p>{@link #consume} is one conditional {@code UPDATE ... SET used = TRUE WHERE id = ? AND used =
 * FALSE}: the database lets exactly one of any number of concurrent answers flip the row, on H2 and
 * PostgreSQL alike. The challenge secret is sealed under the key-encryption key and bound to its
 * row; it is opened only for the registrar's constant-time comparison. Thread-safe.
 */
public final class JdbcEnrollmentStore implements EnrollmentStore {
  /** The challenge table, also the sealing context of the secrets. */
  static final String CHALLENGES = "enrollment_challenges";

  private static final String CHALLENGE_COLUMNS =
      "id, host_id, ek_certificate_sha256, ak_public, ak_name, issued_at, expires_at,"
          + " sealed_secret, host_group, connection, flavor_groups";
  private static final String HOST_COLUMNS =
      "host_id, ek_certificate_sha256, ak_public, ak_name, enrolled_at";

  private final Database db;
  private final Sealer sealer;

  public JdbcEnrollmentStore(Database db, Sealer sealer) {
    this.db = db;
    this.sealer = sealer;
  }

  @Override
  public void putChallenge(PendingChallenge c) {
    String sealed = Base64.getEncoder().encodeToString(sealer.seal(c.secret(), CHALLENGES, c.id()));
    EnrolledHost h = c.host();
    db.transaction(
        conn -> {
          try (PreparedStatement ps =
              conn.prepareStatement(
                  "INSERT INTO enrollment_challenges ("
                      + CHALLENGE_COLUMNS
                      + ", used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE)")) {
            ps.setString(1, c.id());
            ps.setString(2, h.hostId());
            ps.setString(3, h.ekCertificateSha256());
            ps.setString(4, Base64.getEncoder().encodeToString(h.akPublic()));
            ps.setString(5, Hex.encode(h.akName()));
            Sql.setInstant(ps, 6, h.enrolledAt());
            Sql.setInstant(ps, 7, c.expiresAt());
            ps.setString(8, sealed);
            ps.setString(9, c.placement().group());
            ps.setString(10, c.placement().connection());
            ps.setString(11, String.join(",", c.placement().flavorGroups()));
            ps.executeUpdate();
          }
          return null;
        });
  }

  /**
   * {@inheritDoc}
   *
   * @throws Sealer.SealedDataException when the stored secret does not open under this KEK
   */
  @Override
  public Consumed consume(String challengeId) {
    return db.transaction(
        c -> {
          boolean won;
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE enrollment_challenges SET used = TRUE WHERE id = ? AND used = FALSE")) {
            ps.setString(1, challengeId);
            won = ps.executeUpdate() == 1;
          }
          Optional<PendingChallenge> row = challenge(c, challengeId);
          if (row.isEmpty()) {
            return new Consumed.Unknown();
          }
          return won ? new Consumed.Fresh(row.get()) : new Consumed.AlreadyUsed(row.get());
        });
  }

  private Optional<PendingChallenge> challenge(Connection c, String id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + CHALLENGE_COLUMNS + " FROM enrollment_challenges WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        byte[] secret =
            sealer.unseal(
                Base64.getDecoder().decode(rs.getString("sealed_secret")), CHALLENGES, id);
        return Optional.of(
            new PendingChallenge(
                id,
                enrolledHost(rs, "issued_at"),
                secret,
                Sql.instant(rs, "expires_at"),
                placement(rs)));
      }
    }
  }

  /** The host columns both tables share; {@code at} names the time column. */
  private static EnrolledHost enrolledHost(ResultSet rs, String at) throws SQLException {
    return new EnrolledHost(
        rs.getString("host_id"),
        rs.getString("ek_certificate_sha256"),
        Base64.getDecoder().decode(rs.getString("ak_public")),
        Hex.decode(rs.getString("ak_name")),
        Sql.instant(rs, at));
  }

  private static Placement placement(ResultSet rs) throws SQLException {
    try {
      String groups = rs.getString("flavor_groups");
      return new Placement(
          rs.getString("host_group"),
          rs.getString("connection"),
          groups.isEmpty() ? java.util.List.of() : java.util.List.of(groups.split(",")));
    } catch (IllegalArgumentException e) {
      throw new StoreException("stored enrollment challenge has an invalid placement", e);
    }
  }

  @Override
  public void forgetChallengesBefore(java.time.Instant cutoff) {
    db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM enrollment_challenges WHERE expires_at < ?")) {
            Sql.setInstant(ps, 1, cutoff);
            return ps.executeUpdate();
          }
        });
  }

  @Override
  public void putHost(EnrolledHost host) {
    // two replicas enrolling the same new host at once: the loser's insert hits the key
    Sql.retryOnceOnDuplicateKey(() -> writeHost(host));
  }

  private void writeHost(EnrolledHost h) {
    db.transaction(
        c -> {
          try (PreparedStatement up =
              c.prepareStatement(
                  "UPDATE enrolled_hosts SET ek_certificate_sha256 = ?, ak_public = ?, ak_name = ?,"
                      + " enrolled_at = ? WHERE host_id = ?")) {
            up.setString(1, h.ekCertificateSha256());
            up.setString(2, Base64.getEncoder().encodeToString(h.akPublic()));
            up.setString(3, Hex.encode(h.akName()));
            Sql.setInstant(up, 4, h.enrolledAt());
            up.setString(5, h.hostId());
            if (up.executeUpdate() == 1) {
              return null;
            }
          }
          try (PreparedStatement ins =
              c.prepareStatement(
                  "INSERT INTO enrolled_hosts (" + HOST_COLUMNS + ") VALUES (?, ?, ?, ?, ?)")) {
            ins.setString(1, h.hostId());
            ins.setString(2, h.ekCertificateSha256());
            ins.setString(3, Base64.getEncoder().encodeToString(h.akPublic()));
            ins.setString(4, Hex.encode(h.akName()));
            Sql.setInstant(ins, 5, h.enrolledAt());
            ins.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public Optional<EnrolledHost> host(String hostId) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT " + HOST_COLUMNS + " FROM enrolled_hosts WHERE host_id = ?")) {
            ps.setString(1, hostId);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              return Optional.of(enrolledHost(rs, "enrolled_at"));
            }
          }
        });
  }

  @Override
  public boolean removeHost(String hostId) {
    return db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM enrolled_hosts WHERE host_id = ?")) {
            ps.setString(1, hostId);
            return ps.executeUpdate() == 1;
          }
        });
  }
}
