package dev.vouch.evidence.tpm.eventlog;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * {@code EV_SEPARATOR}: the end of the pre-OS phase for a PCR. Its data is a 32-bit value, 0
 * normally and {@code 0xFFFFFFFF} when firmware signals an error.
 */
public record SeparatorEvent(EventHeader header) implements TcgEvent {
  public SeparatorEvent {
    Objects.requireNonNull(header, "header");
  }

  /** The 32-bit little-endian value, when the data has exactly four bytes. */
  public OptionalLong value() {
    byte[] d = header.dataRef();
    if (d.length != 4) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(
        (d[0] & 0xffL) | (d[1] & 0xffL) << 8 | (d[2] & 0xffL) << 16 | (d[3] & 0xffL) << 24);
  }

  /** True when the separator marks a firmware error ({@code 0xFFFFFFFF}). */
  public boolean isError() {
    return value().orElse(0) == 0xFFFFFFFFL;
  }
}
