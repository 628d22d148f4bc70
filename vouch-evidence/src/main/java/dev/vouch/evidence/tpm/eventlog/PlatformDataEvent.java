package dev.vouch.evidence.tpm.eventlog;

import java.util.Objects;
import java.util.Optional;

/**
 * Platform events whose data the profile leaves free-form: {@code EV_S_CRTM_CONTENTS}, {@code
 * EV_EFI_HCRTM_EVENT} (the string {@code HCRTM}), {@code EV_COMPACT_HASH}, {@code
 * EV_TABLE_OF_DEVICES}, {@code EV_OMIT_BOOT_DEVICE_EVENTS} ({@code BOOT ATTEMPTS OMITTED}), the
 * {@code EV_NONHOST_*} types, {@code EV_CPU_MICROCODE}, {@code EV_PLATFORM_CONFIG_FLAGS}, {@code
 * EV_PREBOOT_CERT}, {@code EV_IPL_PARTITION_DATA} and {@code EV_POST_CODE2}. One kind serves them
 * all because they share one shape: raw bytes that are sometimes text. The type tells them apart.
 *
 * @param text the data as text when it is printable ASCII, else empty
 */
public record PlatformDataEvent(EventHeader header, Optional<String> text) implements TcgEvent {
  public PlatformDataEvent {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(text, "text");
  }
}
