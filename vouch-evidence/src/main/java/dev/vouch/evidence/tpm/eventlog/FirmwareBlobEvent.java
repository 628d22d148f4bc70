package dev.vouch.evidence.tpm.eventlog;

import java.util.Objects;

/** {@code EV_EFI_PLATFORM_FIRMWARE_BLOB} or {@code EV_EFI_PLATFORM_FIRMWARE_BLOB2}. */
public record FirmwareBlobEvent(EventHeader header, FirmwareBlob blob) implements TcgEvent {
  public FirmwareBlobEvent {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(blob, "blob");
  }
}
