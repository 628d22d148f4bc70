package dev.vouch.evidence.dcap;

import java.util.Arrays;

/** A cache key over byte content: the full content is compared, the hash only spreads. */
final class BytesKey {
  private final byte[] bytes;
  private final int hash;

  BytesKey(byte[] bytes) {
    this.bytes = bytes;
    this.hash = Arrays.hashCode(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BytesKey k && k.hash == hash && Arrays.equals(k.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }
}
