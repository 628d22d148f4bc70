package dev.vouch.evidence.tpm.eventlog;

import java.util.Objects;
import java.util.Optional;

/**
 * {@code EV_S_CRTM_VERSION}: the firmware's S-CRTM version, usually a UTF-16 string; other forms (a
 * GUID, raw bytes) leave {@link #version()} empty and stay in the raw data.
 */
public record CrtmVersionEvent(EventHeader header, Optional<String> version) implements TcgEvent {
  public CrtmVersionEvent {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(version, "version");
  }
}
