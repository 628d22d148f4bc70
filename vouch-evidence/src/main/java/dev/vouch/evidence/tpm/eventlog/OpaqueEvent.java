package dev.vouch.evidence.tpm.eventlog;

import java.util.Objects;
import java.util.Optional;

/**
 * An entry whose data is not decoded: an event type without a decoder, or data that does not have
 * the layout its type says. The digests still count for replay.
 *
 * @param decodeError why the data did not decode, empty when the type has no decoder
 */
public record OpaqueEvent(EventHeader header, Optional<String> decodeError) implements TcgEvent {
  public OpaqueEvent {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(decodeError, "decodeError");
  }
}
