package dev.vouch.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The server's database: a HikariCP pool migrated by Flyway ({@code db/migration}) on open. H2
 * (file, under the data dir) and PostgreSQL run the same migrations and the same SQL. Thread-safe.
 */
public final class Database implements AutoCloseable {

  /** Work done on one connection inside one transaction. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private final HikariDataSource pool;
  private final String url;

  private Database(HikariDataSource pool, String url) {
    this.pool = pool;
    this.url = url;
  }

  /**
   * The default H2 file database under a data dir. {@code WRITE_DELAY=0} writes each commit out
   * before it returns: H2's default (500 ms) loses committed rows when the process is killed.
   */
  public static String h2Url(Path dataDir) {
    return "jdbc:h2:file:"
        + dataDir.toAbsolutePath().resolve("vouch")
        + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
  }

  /**
   * Opens the pool and migrates the schema.
   *
   * @throws StoreException when the database cannot be reached or migrated
   */
  public static Database open(
      String url, Optional<String> user, Optional<String> password, int poolSize) {
    return open(url, user, password, poolSize, Optional.empty());
  }

  /**
   * Opens the pool and migrates the schema up to {@code target} only (a Flyway version such as
   * {@code 7.14.13}), or to the latest when empty: upgrade tests fill an older schema first.
   */
  static Database open(
      String url,
      Optional<String> user,
      Optional<String> password,
      int poolSize,
      Optional<String> target) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(url);
    user.ifPresent(hc::setUsername);
    password.ifPresent(hc::setPassword);
    hc.setMaximumPoolSize(poolSize);
    hc.setMinimumIdle(Math.min(2, poolSize));
    hc.setPoolName("vouch-db");
    hc.setConnectionTimeout(5_000);
    hc.setInitializationFailTimeout(10_000);
    hc.setExceptionOverride(new EvictClosedH2());
    HikariDataSource ds;
    try {
      ds = new HikariDataSource(hc);
    } catch (RuntimeException e) {
      throw new StoreException("cannot open database " + redact(url) + ": " + e.getMessage(), e);
    }
    try {
      var flyway =
          Flyway.configure().dataSource(ds).locations("classpath:db/migration").loggers("slf4j");
      target.ifPresent(flyway::target);
      flyway.load().migrate();
    } catch (RuntimeException e) {
      ds.close();
      throw new StoreException("cannot migrate database " + redact(url) + ": " + e.getMessage(), e);
    }
    return new Database(ds, url);
  }

  // H2 closes a file database for good when a write fails (a full disk) and then answers every
  // pooled session with "database closed"; a fresh connection reopens it from its last commit
  private static final java.util.Set<Integer> H2_CLOSED =
      java.util.Set.of(90098, 90121, 90028, 90031);

  private static final class EvictClosedH2 implements com.zaxxer.hikari.SQLExceptionOverride {
    @java.lang.Override
    public com.zaxxer.hikari.SQLExceptionOverride.Override adjudicate(SQLException e) {
      return H2_CLOSED.contains(e.getErrorCode())
          ? com.zaxxer.hikari.SQLExceptionOverride.Override.MUST_EVICT
          : com.zaxxer.hikari.SQLExceptionOverride.Override.CONTINUE_EVICT;
    }
  }

  private static String redact(String url) {
    // passwords may sit in the URL's query; never log them
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q);
  }

  public DataSource dataSource() {
    return pool;
  }

  /** {@code h2} or {@code postgresql}. */
  public String kind() {
    return url.startsWith("jdbc:postgresql:") ? "postgresql" : "h2";
  }

  /**
   * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws.
   */
  public <T> T transaction(Work<T> work) {
    try (Connection c = counted(pool.getConnection())) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        COMMITS.increment();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("database error: " + e.getMessage(), e);
    }
  }

  /** Runs a read on one connection (auto-commit). */
  public <T> T read(Work<T> work) {
    try (Connection c = counted(pool.getConnection())) {
      return work.run(c);
    } catch (SQLException e) {
      throw new StoreException("database error: " + e.getMessage(), e);
    }
  }

  // process-wide: a server has one database, and the counts are for its metrics and benches
  private static final java.util.concurrent.atomic.LongAdder STATEMENTS =
      new java.util.concurrent.atomic.LongAdder();
  private static final java.util.concurrent.atomic.LongAdder COMMITS =
      new java.util.concurrent.atomic.LongAdder();

  /** Statements prepared through {@link #transaction} and {@link #read} in this process. */
  public static long statements() {
    return STATEMENTS.sum();
  }

  /** Transactions {@link #transaction} committed in this process. */
  public static long commits() {
    return COMMITS.sum();
  }

  /**
   * The connection, counting each statement it prepares (each is executed once or as one batch in
   * this code base, so the count is the round trips besides commits).
   */
  private static Connection counted(Connection c) {
    return (Connection)
        java.lang.reflect.Proxy.newProxyInstance(
            Database.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            (proxy, m, args) -> {
              String n = m.getName();
              if (n.equals("prepareStatement")
                  || n.equals("createStatement")
                  || n.equals("prepareCall")) {
                STATEMENTS.increment();
              }
              try {
                return m.invoke(c, args);
              } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  /**
   * Whether a database error comes from full storage rather than an unreachable database: the error
   * says so (PostgreSQL's {@code disk_full}, SQLState 53100; an I/O error "No space left on
   * device"), or the folder of an H2 file database has under 1 MiB left (H2 reports the first
   * failed write and then only that the database was closed).
   */
  public boolean storageFull(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof SQLException q && "53100".equals(q.getSQLState())) {
        return true;
      }
      if (t.getMessage() != null && t.getMessage().contains("No space left on device")) {
        return true;
      }
    }
    if (url.startsWith("jdbc:h2:file:")) {
      String file = url.substring("jdbc:h2:file:".length()).split(";", 2)[0];
      try {
        Path dir = Path.of(file).toAbsolutePath().getParent();
        return java.nio.file.Files.getFileStore(dir).getUsableSpace() < MIN_FREE_BYTES;
      } catch (java.io.IOException | RuntimeException e) {
        return false;
      }
    }
    return false;
  }

  private static final long MIN_FREE_BYTES = 1L << 20;

  /** True when a connection answers within two seconds (for {@code /readyz}). */
  public boolean ping() {
    try (Connection c = pool.getConnection()) {
      return c.isValid(2);
    } catch (SQLException | RuntimeException e) {
      return false;
    }
  }

  @Override
  public void close() {
    pool.close();
  }
}
