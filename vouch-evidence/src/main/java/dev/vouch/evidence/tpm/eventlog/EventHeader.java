package dev.vouch.evidence.tpm.eventlog;

import dev.vouch.core.crypto.HashAlg;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The fields every log entry has: its sequence number, where it starts in the log, the PCR it
 * extends, its event type, one digest per known bank and the raw event data. Immutable; arrays are
 * copied out.
 */
public final class EventHeader {
  private final int index;
  private final int offset;
  private final int pcr;
  private final long type;
  private final EnumMap<HashAlg, byte[]> digests;
  private final byte[] data;

  /** Takes ownership of the arrays; only the parser, which made them, calls this. */
  EventHeader(
      int index, int offset, int pcr, long type, EnumMap<HashAlg, byte[]> digests, byte[] data) {
    this.index = index;
    this.offset = offset;
    this.pcr = pcr;
    this.type = type;
    this.digests = digests;
    this.data = data;
  }

  /**
   * A header built from caller-owned values (copied), for building events outside the parser.
   *
   * @throws IllegalArgumentException when a digest's length differs from its algorithm's size
   */
  public static EventHeader of(
      int index, int offset, int pcr, long type, Map<HashAlg, byte[]> digests, byte[] data) {
    EnumMap<HashAlg, byte[]> copy = new EnumMap<>(HashAlg.class);
    digests.forEach(
        (alg, d) -> {
          if (d.length != alg.size()) {
            throw new IllegalArgumentException(alg.shortName() + " digest has " + d.length);
          }
          copy.put(alg, d.clone());
        });
    return new EventHeader(index, offset, pcr, type, copy, data.clone());
  }

  /** Sequence number in the log, from 0 (the first entry, e.g. the Spec ID event). */
  public int index() {
    return index;
  }

  /** Byte offset of the entry in the log. */
  public int offset() {
    return offset;
  }

  /** The PCR the entry extends (0..23). */
  public int pcr() {
    return pcr;
  }

  /** The unsigned 32-bit event type. */
  public long type() {
    return type;
  }

  /** The event type's specification name, e.g. {@code EV_SEPARATOR}. */
  public String typeName() {
    return EventType.nameOf(type);
  }

  /** The banks this entry carries a digest for (known algorithms only). */
  public Set<HashAlg> banks() {
    return Collections.unmodifiableSet(digests.keySet());
  }

  /** A copy of the digests per bank. */
  public Map<HashAlg, byte[]> digests() {
    EnumMap<HashAlg, byte[]> copy = new EnumMap<>(HashAlg.class);
    digests.forEach((alg, d) -> copy.put(alg, d.clone()));
    return copy;
  }

  /** A copy of the digest for {@code bank}, if the entry has one. */
  public Optional<byte[]> digest(HashAlg bank) {
    byte[] d = digests.get(bank);
    return d == null ? Optional.empty() : Optional.of(d.clone());
  }

  /** A copy of the raw event data. */
  public byte[] data() {
    return data.clone();
  }

  public int dataLength() {
    return data.length;
  }

  /** The internal digest array; replay reads it without copying and never writes to it. */
  byte[] digestRef(HashAlg bank) {
    return digests.get(bank);
  }

  /** The internal data array; decoders read it without copying and never write to it. */
  byte[] dataRef() {
    return data;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof EventHeader h)) {
      return false;
    }
    if (index != h.index
        || offset != h.offset
        || pcr != h.pcr
        || type != h.type
        || !Arrays.equals(data, h.data)
        || !digests.keySet().equals(h.digests.keySet())) {
      return false;
    }
    for (var e : digests.entrySet()) {
      if (!Arrays.equals(e.getValue(), h.digests.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return Objects.hash(index, offset, pcr, type, Arrays.hashCode(data));
  }

  @Override
  public String toString() {
    return "#" + index + " pcr" + pcr + " " + typeName() + " (" + data.length + " bytes)";
  }
}
