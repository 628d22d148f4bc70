package dev.vouch.evidence.tpm.eventlog;

import java.util.Objects;

/**
 * {@code EV_IPL}: a boot loader measurement. GRUB logs ASCII strings such as {@code grub_cmd: ...}
 * and {@code kernel_cmdline: ...}; systemd-boot and systemd-stub log UTF-16LE strings. Both decode
 * to {@link #text()} without the trailing NULs.
 */
public record IplEvent(EventHeader header, String text) implements TcgEvent {
  public IplEvent {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(text, "text");
  }
}
