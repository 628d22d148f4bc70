package dev.vouch.evidence.tpm.eventlog;

import java.util.Objects;

/** {@code EV_EVENT_TAG}: a {@code TCG_PCClientTaggedEvent} (tag id and tag data). */
public record EventTagEvent(EventHeader header, long taggedEventId, byte[] taggedEventData)
    implements TcgEvent {
  public EventTagEvent {
    Objects.requireNonNull(header, "header");
    taggedEventData = taggedEventData.clone();
  }

  @Override
  public byte[] taggedEventData() {
    return taggedEventData.clone();
  }
}
