package dev.vouch.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Per-client token buckets: burst, refill, who counts as one client, a bounded table. */
class ClientRateLimiterTest {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  private ClientRateLimiter limiter(double perSecond, int burst) {
    return new ClientRateLimiter(new ClientRateLimiter.Limit(perSecond, burst), nanos::get);
  }

  @Test
  void aClientGetsItsBurstThenWaitsForTheNextToken() {
    ClientRateLimiter l = limiter(4, 3);
    for (int i = 0; i < 3; i++) {
      assertThat(l.acquire("192.0.2.7")).isEmpty();
    }
    // the fourth request needs one whole token at 4 per second: 250 ms
    assertThat(l.acquire("192.0.2.7")).contains(Duration.ofMillis(250));
    nanos.addAndGet(Duration.ofMillis(100).toNanos());
    // refused requests take nothing: 0.4 tokens after 100 ms, 0.6 missing at 4/s = 150 ms
    assertThat(l.acquire("192.0.2.7")).contains(Duration.ofMillis(150));
    nanos.addAndGet(Duration.ofMillis(150).toNanos());
    assertThat(l.acquire("192.0.2.7")).isEmpty();
    assertThat(l.acquire("192.0.2.7")).isPresent();
  }

  @Test
  void aBucketRefillsNoFurtherThanItsBurst() {
    ClientRateLimiter l = limiter(10, 2);
    nanos.addAndGet(Duration.ofHours(1).toNanos());
    assertThat(l.acquire("192.0.2.7")).isEmpty();
    assertThat(l.acquire("192.0.2.7")).isEmpty();
    assertThat(l.acquire("192.0.2.7")).isPresent();
  }

  @Test
  void otherAddressesHaveTheirOwnBuckets() {
    ClientRateLimiter l = limiter(1, 1);
    assertThat(l.acquire("127.0.0.1")).isEmpty();
    assertThat(l.acquire("127.0.0.1")).isPresent();
    assertThat(l.acquire("127.0.0.2")).isEmpty();
  }

  @Test
  void ipv6AddressesInOneSlash64AreOneClient() {
    ClientRateLimiter l = limiter(1, 1);
    assertThat(l.acquire("2001:db8:1:2::1")).isEmpty();
    assertThat(l.acquire("[2001:db8:1:2:ffff:ffff:ffff:ffff]")).isPresent();
    assertThat(l.acquire("2001:db8:1:3::1")).isEmpty();
  }

  @Test
  void anIpv4MappedAddressIsTheIpv4Client() {
    assertThat(ClientRateLimiter.clientKey("::ffff:192.0.2.9"))
        .isEqualTo(ClientRateLimiter.clientKey("192.0.2.9"))
        .isEqualTo("192.0.2.9");
    assertThat(ClientRateLimiter.clientKey("2001:0db8:0001:0002:0:0:0:1"))
        .isEqualTo("2001:0db8:0001:0002::/64");
  }

  @Test
  void anUnlimitedLimiterNeverRefuses() {
    ClientRateLimiter l = new ClientRateLimiter(ClientRateLimiter.Limit.unlimited(), nanos::get);
    for (int i = 0; i < 10_000; i++) {
      assertThat(l.acquire("192.0.2.7")).isEmpty();
    }
    assertThat(l.tracked()).isZero();
  }

  @Test
  void manyAddressesShareAnOverflowBucketOnceTheTableIsFull() {
    ClientRateLimiter l = limiter(1, 1);
    for (int i = 0; i < ClientRateLimiter.MAX_CLIENTS; i++) {
      assertThat(l.acquire("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255))).isEmpty();
    }
    assertThat(l.tracked()).isEqualTo(ClientRateLimiter.MAX_CLIENTS);
    // every tracked bucket is empty, so none can be dropped: new clients share one bucket
    assertThat(l.acquire("192.0.2.1")).isEmpty();
    assertThat(l.acquire("192.0.2.2")).isPresent();
    assertThat(l.tracked()).isEqualTo(ClientRateLimiter.MAX_CLIENTS + 1);
    // once buckets have refilled they are dropped and a new client gets its own again
    nanos.addAndGet(Duration.ofSeconds(2).toNanos());
    assertThat(l.acquire("192.0.2.3")).isEmpty();
    assertThat(l.tracked()).isLessThanOrEqualTo(2);
  }

  @Test
  void aLimitRefusesNonsense() {
    assertThatThrownBy(() -> new ClientRateLimiter.Limit(-1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ClientRateLimiter.Limit(Double.NaN, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ClientRateLimiter.Limit(5, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(Optional.of(new ClientRateLimiter.Limit(0, 0)).get().isUnlimited()).isTrue();
  }
}
