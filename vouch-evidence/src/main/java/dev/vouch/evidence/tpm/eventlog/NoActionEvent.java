package dev.vouch.evidence.tpm.eventlog;

import java.util.Objects;

/**
 * Any other {@code EV_NO_ACTION} entry (e.g. {@code SP800-155 Event}, {@code NvIndexInstance}).
 * Never extended into a PCR.
 *
 * @param signature the leading NUL-terminated ASCII signature, or empty when there is none
 */
public record NoActionEvent(EventHeader header, String signature) implements TcgEvent {
  public NoActionEvent {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(signature, "signature");
  }
}
