package dev.vouch.server.http;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Per-client token buckets for one endpoint (KBS, login, attestation): each client may make {@code
 * burst} requests at once and {@code perSecond} on average after that.
 *
 * <p>A client is its network address as the TCP peer gives it: an IPv4 address, or the /64 prefix
 * of an IPv6 address (one host usually holds a whole /64, so finer keys would let it rotate
 * addresses past the limit). Headers such as {@code X-Forwarded-For} are never read: a client
 * chooses them. Behind a reverse proxy every client therefore shares the proxy's bucket; such a
 * deployment raises or disables the limit and lets the proxy limit per client.
 *
 * <p>The table of buckets is bounded: when {@link #MAX_CLIENTS} are tracked, buckets that have
 * refilled (clients idle long enough to have their whole burst back) are dropped, and if none has,
 * new clients share one overflow bucket, so a flood from many addresses cannot grow the heap.
 * Thread-safe.
 */
public final class ClientRateLimiter {
  /** Most clients tracked at once. */
  public static final int MAX_CLIENTS = 65_536;

  private static final String OVERFLOW = "overflow";

  private final Limit limit;
  private final LongSupplier nanos;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  /**
   * A request rate: {@code burst} requests at once, refilled at {@code perSecond}. {@code perSecond
   * == 0} means unlimited.
   */
  public record Limit(double perSecond, int burst) {
    public Limit {
      if (!(perSecond >= 0) || Double.isInfinite(perSecond)) {
        throw new IllegalArgumentException("perSecond must be a finite number >= 0");
      }
      if (perSecond > 0 && burst < 1) {
        throw new IllegalArgumentException("burst must be at least 1");
      }
    }

    /** No limit. */
    public static Limit unlimited() {
      return new Limit(0, 0);
    }

    public boolean isUnlimited() {
      return perSecond == 0;
    }
  }

  public ClientRateLimiter(Limit limit) {
    this(limit, System::nanoTime);
  }

  /** With a clock of nanoseconds, for tests. */
  ClientRateLimiter(Limit limit, LongSupplier nanos) {
    this.limit = limit;
    this.nanos = nanos;
  }

  /**
   * Takes one request from the client's bucket.
   *
   * @return empty when allowed, else how long until the client's next request would be allowed
   */
  public Optional<Duration> acquire(String remoteAddress) {
    if (limit.isUnlimited()) {
      return Optional.empty();
    }
    String key = clientKey(remoteAddress);
    long now = nanos.getAsLong();
    Bucket b = buckets.get(key);
    if (b == null) {
      if (buckets.size() >= MAX_CLIENTS) {
        buckets.values().removeIf(x -> x.isFull(now));
      }
      if (buckets.size() >= MAX_CLIENTS) {
        key = OVERFLOW;
      }
      b = buckets.computeIfAbsent(key, k -> new Bucket(limit, now));
    }
    return b.take(now);
  }

  /** How many clients are tracked. */
  int tracked() {
    return buckets.size();
  }

  /**
   * The identity a request's limit is kept under: IPv4 as is, IPv6 (other than IPv4-mapped) by its
   * /64 prefix, anything unparseable as its text.
   */
  public static String clientKey(String remoteAddress) {
    if (remoteAddress == null || remoteAddress.isEmpty()) {
      return "unknown";
    }
    String a = remoteAddress;
    if (a.startsWith("[") && a.endsWith("]")) {
      a = a.substring(1, a.length() - 1);
    }
    // only literals are parsed: InetAddress.getByName on a literal does no DNS lookup
    if (!a.matches("[0-9A-Fa-f:.%a-zA-Z]+") || !(a.contains(":") || a.matches("[0-9.]+"))) {
      return a;
    }
    try {
      InetAddress addr = InetAddress.getByName(a);
      if (addr instanceof Inet4Address) {
        return addr.getHostAddress();
      }
      if (addr instanceof Inet6Address) {
        byte[] b = addr.getAddress();
        StringBuilder k = new StringBuilder();
        for (int i = 0; i < 8; i += 2) {
          k.append(String.format("%02x%02x:", b[i], b[i + 1]));
        }
        return k.append(":/64").toString();
      }
    } catch (UnknownHostException e) {
      // not a literal after all: keep the text
    }
    return a;
  }

  /**
   * One client's bucket as the generic cell rate algorithm keeps it: the theoretical arrival time
   * of the next request in integer nanoseconds, so waits come out exact. Synchronized per client.
   */
  private static final class Bucket {
    private final long interval;
    private final long tolerance;
    private long tat;

    Bucket(Limit limit, long now) {
      this.interval = Math.max(1, Math.round(1e9 / limit.perSecond()));
      this.tolerance = (limit.burst() - 1) * interval;
      this.tat = now;
    }

    synchronized Optional<Duration> take(long now) {
      long t = Math.max(tat, now);
      if (t - now > tolerance) {
        return Optional.of(Duration.ofNanos(t - tolerance - now));
      }
      tat = t + interval;
      return Optional.empty();
    }

    /** Whether the client has its whole burst back, i.e. forgetting it changes nothing. */
    synchronized boolean isFull(long now) {
      return tat <= now;
    }
  }
}
