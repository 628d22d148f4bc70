package dev.vouch.evidence.tpm.eventlog;

import java.util.Objects;
import java.util.Optional;

/**
 * A measured firmware region ({@code UEFI_PLATFORM_FIRMWARE_BLOB} or {@code ..._BLOB2}).
 *
 * @param description the BLOB2 description, empty for the older form
 * @param base physical base address
 * @param length length in bytes
 */
public record FirmwareBlob(Optional<String> description, long base, long length) {
  public FirmwareBlob {
    Objects.requireNonNull(description, "description");
  }
}
