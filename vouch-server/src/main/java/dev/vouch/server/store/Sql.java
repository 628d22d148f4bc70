package dev.vouch.server.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/** Timestamp helpers that behave the same on H2 and PostgreSQL. */
public final class Sql {
  private Sql() {}

  public static void setInstant(PreparedStatement ps, int i, Instant t) throws SQLException {
    if (t == null) {
      ps.setNull(i, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      // both databases keep microseconds and would round the rest: a stored expiry rounded up
      // would outlive the in-memory one it was written from by up to half a microsecond
      ps.setObject(i, OffsetDateTime.ofInstant(t.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC));
    }
  }

  /**
   * Runs an update-else-insert {@code write}, and once more when its insert lost a race to a
   * concurrent insert of the same key (SQLSTATE 23505): the second run's update finds the row.
   */
  public static void retryOnceOnDuplicateKey(Runnable write) {
    try {
      write.run();
    } catch (StoreException e) {
      if (e.getCause() instanceof SQLException s && "23505".equals(s.getSQLState())) {
        write.run();
      } else {
        throw e;
      }
    }
  }

  public static Instant instant(ResultSet rs, String col) throws SQLException {
    OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }
}
