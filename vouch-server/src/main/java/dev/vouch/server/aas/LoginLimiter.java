package dev.vouch.server.aas;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows password guessing per account and per source address: after {@link #FREE_FAILURES} failures
 * in a row, each further attempt waits a lockout that doubles per failure (1 s, 2 s, ..., at most
 * {@link #MAX_LOCKOUT}). A success clears the account's and the address's count. Kept per replica
 * in memory (a guesser spreading over N replicas gets N times the attempts, still exponentially
 * slowed). Bounded: when {@link #MAX_TRACKED} keys are tracked, the oldest entries whose lockout
 * has passed are dropped first. Thread-safe.
 */
public final class LoginLimiter {
  public static final int FREE_FAILURES = 5;
  public static final int FREE_ADDRESS_FAILURES = 20;
  public static final Duration MAX_LOCKOUT = Duration.ofMinutes(15);
  static final int MAX_TRACKED = 100_000;

  private final Clock clock;
  private final ConcurrentHashMap<String, Failures> failures = new ConcurrentHashMap<>();

  private record Failures(int count, Instant lockedUntil) {}

  public LoginLimiter(Clock clock) {
    this.clock = clock;
  }

  /** Empty when an attempt for {@code account} from {@code address} may go ahead, else the wait. */
  public Optional<Duration> check(String account, String address) {
    Instant now = clock.instant();
    Duration wait = Duration.ZERO;
    for (String k : keys(account, address)) {
      Failures f = failures.get(k);
      if (f != null && f.lockedUntil().isAfter(now)) {
        Duration d = Duration.between(now, f.lockedUntil());
        wait = d.compareTo(wait) > 0 ? d : wait;
      }
    }
    return wait.isZero() ? Optional.empty() : Optional.of(wait);
  }

  /** Counts a failed attempt against both the account and the address. */
  public void failed(String account, String address) {
    Instant now = clock.instant();
    if (failures.size() >= MAX_TRACKED) {
      failures.values().removeIf(f -> !f.lockedUntil().isAfter(now));
    }
    for (String k : keys(account, address)) {
      failures.compute(
          k,
          (key, f) -> {
            int n = f == null ? 1 : f.count() + 1;
            int free = key.startsWith("account:") ? FREE_FAILURES : FREE_ADDRESS_FAILURES;
            Instant until = now;
            if (n >= free) {
              int shift = Math.min(n - free, 20);
              Duration lock = Duration.ofSeconds(1L << shift);
              until = now.plus(lock.compareTo(MAX_LOCKOUT) > 0 ? MAX_LOCKOUT : lock);
            }
            return new Failures(n, until);
          });
    }
  }

  /** Clears the counts after a successful login. */
  public void succeeded(String account, String address) {
    for (String k : keys(account, address)) {
      failures.remove(k);
    }
  }

  private static String[] keys(String account, String address) {
    return new String[] {
      "account:" + account, "address:" + dev.vouch.server.http.ClientRateLimiter.clientKey(address)
    };
  }
}
