package dev.vouch.evidence.tpm.eventlog;

import java.util.Objects;
import java.util.Optional;

/**
 * {@code EV_POST_CODE}: either an ASCII label ({@code POST CODE}, {@code ACPI DATA}, {@code SMM
 * CODE}, {@code Embedded UEFI Driver}, ...) or a {@link FirmwareBlob}; at most one is present, and
 * neither when the data has another form.
 */
public record PostCodeEvent(EventHeader header, Optional<String> text, Optional<FirmwareBlob> blob)
    implements TcgEvent {
  public PostCodeEvent {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(blob, "blob");
  }
}
