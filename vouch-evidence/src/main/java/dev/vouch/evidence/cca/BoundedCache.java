package dev.vouch.evidence.cca;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A small least-recently-used map from exact byte content to what was parsed from it, so that keys
 * seen again (a realm re-attesting with the same RAK, the same collateral files) keep their parsed
 * form and BouncyCastle's per-point precomputation, which costs about half an ECDSA P-384 verify
 * for a key first seen. Keyed by the full content, never by a digest or name, so a hit always
 * returns exactly what parsing those bytes would. Thread-safe.
 */
final class BoundedCache<V> {
  private final Map<Key, V> map;

  BoundedCache(int capacity) {
    this.map =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<Key, V> eldest) {
            return size() > capacity;
          }
        };
  }

  /** A parser that may fail as parsers here do. */
  @FunctionalInterface
  interface Parser<V> {
    V parse(byte[] content) throws dev.vouch.core.VerificationException;
  }

  /** The cached value for {@code content}, parsing (outside the lock) on a miss. */
  V get(byte[] content, Parser<V> parser) throws dev.vouch.core.VerificationException {
    Key k = new Key(content.clone());
    synchronized (map) {
      V v = map.get(k);
      if (v != null) {
        return v;
      }
    }
    V v = parser.parse(k.bytes);
    synchronized (map) {
      map.putIfAbsent(k, v);
    }
    return v;
  }

  private record Key(byte[] bytes) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }
  }
}
