package dev.vouch.server.aas;

import dev.vouch.server.http.ClientRateLimiter;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * Slows password guessing per account and per source address: after {@link #FREE_FAILURES} failures
 * in a row, each further attempt waits a lockout that doubles per failure (1 s, 2 s, ..., at most
 * {@link #MAX_LOCKOUT}). A success clears the account's and the address's count. The counts are in
 * the database every replica shares, so a guesser spreading attempts over replicas meets one count
 * and one lockout. Each failure is one transaction that increments the row under its lock, so
 * concurrent failures on different replicas are all counted. Counts untouched for {@link
 * #FORGET_AFTER} are swept ({@link #sweep}), which keeps the table bounded.
 */
public final class LoginLimiter {
  public static final int FREE_FAILURES = 5;
  public static final int FREE_ADDRESS_FAILURES = 20;
  public static final Duration MAX_LOCKOUT = Duration.ofMinutes(15);

  /** A count no failure has touched for this long is forgotten. */
  public static final Duration FORGET_AFTER = Duration.ofDays(1);

  private final Database db;
  private final Clock clock;

  public LoginLimiter(Database db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  /** Empty when an attempt for {@code account} from {@code address} may go ahead, else the wait. */
  public Optional<Duration> check(String account, String address) {
    Instant now = now();
    List<String> keys = keys(account, address);
    Instant until =
        db.read(
            c -> {
              Instant latest = now;
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT locked_until FROM aas_login_failures WHERE limit_key IN (?, ?)")) {
                ps.setString(1, keys.get(0));
                ps.setString(2, keys.get(1));
                try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) {
                    Instant u = Sql.instant(rs, "locked_until");
                    latest = u.isAfter(latest) ? u : latest;
                  }
                }
              }
              return latest;
            });
    return until.isAfter(now) ? Optional.of(Duration.between(now, until)) : Optional.empty();
  }

  /** Counts a failed attempt against both the account and the address. */
  public void failed(String account, String address) {
    Instant now = now();
    for (String k : keys(account, address)) {
      int free = k.startsWith("account:") ? FREE_FAILURES : FREE_ADDRESS_FAILURES;
      Sql.retryOnceOnDuplicateKey(() -> db.transaction(c -> count(c, k, free, now)));
    }
  }

  // the update takes the row lock, so the count read after it is this transaction's own
  private static int count(Connection c, String key, int free, Instant now) throws SQLException {
    int n;
    try (PreparedStatement up =
        c.prepareStatement(
            "UPDATE aas_login_failures SET failures = failures + 1, updated_at = ?"
                + " WHERE limit_key = ?")) {
      Sql.setInstant(up, 1, now);
      up.setString(2, key);
      if (up.executeUpdate() == 0) {
        n = 1;
        try (PreparedStatement in =
            c.prepareStatement(
                "INSERT INTO aas_login_failures (limit_key, failures, locked_until, updated_at)"
                    + " VALUES (?, 1, ?, ?)")) {
          in.setString(1, key);
          Sql.setInstant(in, 2, now);
          Sql.setInstant(in, 3, now);
          in.executeUpdate();
        }
      } else {
        try (PreparedStatement q =
            c.prepareStatement("SELECT failures FROM aas_login_failures WHERE limit_key = ?")) {
          q.setString(1, key);
          try (ResultSet rs = q.executeQuery()) {
            rs.next();
            n = rs.getInt(1);
          }
        }
      }
    }
    Instant until = now;
    if (n >= free) {
      int shift = Math.min(n - free, 20);
      Duration lock = Duration.ofSeconds(1L << shift);
      until = now.plus(lock.compareTo(MAX_LOCKOUT) > 0 ? MAX_LOCKOUT : lock);
    }
    try (PreparedStatement ps =
        c.prepareStatement("UPDATE aas_login_failures SET locked_until = ? WHERE limit_key = ?")) {
      Sql.setInstant(ps, 1, until);
      ps.setString(2, key);
      ps.executeUpdate();
    }
    return n;
  }

  /** Clears the counts after a successful login. */
  public void succeeded(String account, String address) {
    List<String> keys = keys(account, address);
    db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM aas_login_failures WHERE limit_key IN (?, ?)")) {
            ps.setString(1, keys.get(0));
            ps.setString(2, keys.get(1));
            return ps.executeUpdate();
          }
        });
  }

  /** Forgets counts no failure has touched for {@link #FORGET_AFTER} and whose lockout is over. */
  public int sweep() {
    Instant now = now();
    return db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "DELETE FROM aas_login_failures WHERE updated_at < ? AND locked_until < ?")) {
            Sql.setInstant(ps, 1, now.minus(FORGET_AFTER));
            Sql.setInstant(ps, 2, now);
            return ps.executeUpdate();
          }
        });
  }

  // PostgreSQL keeps microseconds and its driver rounds nanoseconds: an unlocked row stored at a
  // rounded-up "now" would read back as locked for a fraction of a microsecond
  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MICROS);
  }

  private static List<String> keys(String account, String address) {
    // bounded like the column: account names are at most 64 characters, addresses short
    String a = "account:" + account;
    String s = "address:" + ClientRateLimiter.clientKey(address);
    return List.of(
        a.length() > 300 ? a.substring(0, 300) : a, s.length() > 300 ? s.substring(0, 300) : s);
  }
}
