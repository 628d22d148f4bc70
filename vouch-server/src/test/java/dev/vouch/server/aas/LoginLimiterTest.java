package dev.vouch.server.aas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.server.store.Database;
import dev.vouch.server.store.TestDatabases;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoginLimiterTest {
  @TempDir Path dir;
  private TestDatabases.Handle handle;
  private Database db;

  @BeforeEach
  void open() {
    handle = TestDatabases.h2(dir);
    db = handle.open();
  }

  @AfterEach
  void close() throws Exception {
    db.close();
    handle.close();
  }

  /** A clock the test moves. */
  private static final class Ticking extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId z) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void aFailureUnderTheLimitLocksNothingEvenWhenTheDatabaseRoundsTheClocksNanoseconds()
      throws Exception {
    // PostgreSQL keeps microseconds; its driver rounds .000000999 up to .000001
    try (TestDatabases.Handle pg = TestDatabases.postgres();
        Database pgDb = pg.open()) {
      Ticking clock = new Ticking();
      clock.now = Instant.parse("2026-01-01T00:00:00.000000999Z");
      LoginLimiter l = new LoginLimiter(pgDb, clock);
      l.failed("alice", "10.0.0.1");
      assertThat(l.check("alice", "10.0.0.1")).isEmpty();
    }
  }

  @Test
  void locksAnAccountAfterFiveFailuresWithDoublingWaits() {
    Ticking clock = new Ticking();
    LoginLimiter l = new LoginLimiter(db, clock);
    for (int i = 0; i < LoginLimiter.FREE_FAILURES - 1; i++) {
      assertThat(l.check("alice", "10.0.0.1")).isEmpty();
      l.failed("alice", "10.0.0.1");
    }
    assertThat(l.check("alice", "10.0.0.1")).isEmpty();
    l.failed("alice", "10.0.0.1");
    // from any address: the account is what is locked
    assertThat(l.check("alice", "10.9.9.9")).contains(Duration.ofSeconds(1));
    clock.now = clock.now.plusSeconds(1);
    assertThat(l.check("alice", "10.9.9.9")).isEmpty();
    l.failed("alice", "10.9.9.9");
    assertThat(l.check("alice", "10.0.0.1")).contains(Duration.ofSeconds(2));
    assertThat(l.check("bob", "10.0.0.1")).isEmpty();
  }

  @Test
  void locksAnAddressThatGuessesAcrossAccounts() {
    Ticking clock = new Ticking();
    LoginLimiter l = new LoginLimiter(db, clock);
    for (int i = 0; i < LoginLimiter.FREE_ADDRESS_FAILURES; i++) {
      l.failed("user" + i, "192.0.2.7");
    }
    assertThat(l.check("someone-else", "192.0.2.7")).isPresent();
    assertThat(l.check("someone-else", "192.0.2.8")).isEmpty();
  }

  @Test
  void neverLocksLongerThanTheMaximum() {
    Ticking clock = new Ticking();
    LoginLimiter l = new LoginLimiter(db, clock);
    for (int i = 0; i < 60; i++) {
      l.failed("alice", "10.0.0." + i);
    }
    assertThat(l.check("alice", "10.0.0.1").orElseThrow()).isEqualTo(LoginLimiter.MAX_LOCKOUT);
  }

  @Test
  void staleCountsAreSweptOnceTheirLockoutIsOver() {
    Ticking clock = new Ticking();
    LoginLimiter l = new LoginLimiter(db, clock);
    for (int i = 0; i < LoginLimiter.FREE_FAILURES; i++) {
      l.failed("alice", "10.0.0.1");
    }
    assertThat(l.sweep()).isZero();
    clock.now = clock.now.plus(LoginLimiter.FORGET_AFTER).plusSeconds(1);
    assertThat(l.sweep()).isEqualTo(2);
    l.failed("alice", "10.0.0.1");
    assertThat(l.check("alice", "10.0.0.1")).isEmpty();
  }

  @Test
  void aSuccessClearsTheCount() {
    Ticking clock = new Ticking();
    LoginLimiter l = new LoginLimiter(db, clock);
    for (int i = 0; i < LoginLimiter.FREE_FAILURES - 1; i++) {
      l.failed("alice", "10.0.0.1");
    }
    l.succeeded("alice", "10.0.0.1");
    l.failed("alice", "10.0.0.1");
    assertThat(l.check("alice", "10.0.0.1")).isEmpty();
  }
}
