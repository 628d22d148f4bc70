package dev.vouch.evidence.tpm.eventlog;

import java.util.Objects;

/**
 * {@code EV_ACTION} or {@code EV_EFI_ACTION}: an ASCII action string such as {@code Calling EFI
 * Application from Boot Option} or {@code Exit Boot Services Invocation}.
 */
public record ActionEvent(EventHeader header, String text) implements TcgEvent {
  public ActionEvent {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(text, "text");
  }
}
