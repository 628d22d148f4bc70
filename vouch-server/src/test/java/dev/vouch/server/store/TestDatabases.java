package dev.vouch.server.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The two databases the persistence suite runs on: H2 in a temp dir, and a fresh PostgreSQL
 * database on the local server (127.0.0.1:5432, user postgres, trust auth) created for one test and
 * dropped after it. Without PostgreSQL the tests fail under {@code -Dvouch.require.tools=true}
 * (what {@code bin/test} passes) and are skipped otherwise.
 */
public final class TestDatabases {
  static final String PG_ADMIN = "jdbc:postgresql://127.0.0.1:5432/postgres";
  static final String PG_USER = "postgres";

  /** A database one test owns. */
  public interface Handle extends AutoCloseable {
    String url();

    Optional<String> user();

    Database open();

    /** A pool over the schema migrated up to Flyway version {@code version} only. */
    default Database openAt(String version) {
      return Database.open(url(), user(), Optional.empty(), 4, Optional.of(version));
    }

    @Override
    void close();
  }

  private TestDatabases() {}

  public static Handle h2(Path dir) {
    return new Handle() {
      public String url() {
        return Database.h2Url(dir);
      }

      public Optional<String> user() {
        return Optional.empty();
      }

      public Database open() {
        return Database.open(url(), Optional.empty(), Optional.empty(), 4);
      }

      public void close() {}
    };
  }

  public static Handle postgres() {
    String name = "vouch_test_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection c = DriverManager.getConnection(PG_ADMIN, PG_USER, "");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      String why = "PostgreSQL is not reachable on 127.0.0.1:5432 (" + e.getMessage() + ")";
      if (Boolean.getBoolean("vouch.require.tools")) {
        throw new AssertionError(why + "; bin/install-test-deps starts it", e);
      }
      Assumptions.abort(why);
    }
    String url = "jdbc:postgresql://127.0.0.1:5432/" + name;
    return new Handle() {
      public String url() {
        return url;
      }

      public Optional<String> user() {
        return Optional.of(PG_USER);
      }

      public Database open() {
        return Database.open(url, Optional.of(PG_USER), Optional.empty(), 4);
      }

      public void close() {
        try (Connection c = DriverManager.getConnection(PG_ADMIN, PG_USER, "");
            Statement s = c.createStatement()) {
          s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
          throw new AssertionError("cannot drop test database " + name, e);
        }
      }
    };
  }
}
