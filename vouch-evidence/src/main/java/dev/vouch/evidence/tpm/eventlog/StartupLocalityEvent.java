package dev.vouch.evidence.tpm.eventlog;

import java.util.Objects;

/**
 * The {@code StartupLocality} {@code EV_NO_ACTION} event: the locality from which the TPM was
 * started, which is the last byte of PCR 0's initial value (3 or 4 for an H-CRTM).
 */
public record StartupLocalityEvent(EventHeader header, int locality) implements TcgEvent {
  public StartupLocalityEvent {
    Objects.requireNonNull(header, "header");
  }
}
