package dev.vouch.evidence.tpm.eventlog;

import dev.vouch.core.crypto.HashAlg;
import java.util.Map;

/**
 * One decoded entry of a PC Client firmware event log. The kind is chosen from the event type and
 * the data: data that does not decode as its type says becomes an {@link OpaqueEvent} carrying the
 * reason, so that odd firmware never stops a log from parsing (the digests, not the data, are what
 * the TPM extended).
 */
public sealed interface TcgEvent
    permits SpecIdEvent,
        StartupLocalityEvent,
        NoActionEvent,
        SeparatorEvent,
        EfiVariableEvent,
        EfiImageLoadEvent,
        IplEvent,
        EfiGptEvent,
        ActionEvent,
        CrtmVersionEvent,
        PostCodeEvent,
        FirmwareBlobEvent,
        HandoffTablesEvent,
        EventTagEvent,
        PlatformDataEvent,
        OpaqueEvent {

  /** The fields every entry has. */
  EventHeader header();

  /** Sequence number in the log, from 0. */
  default int index() {
    return header().index();
  }

  default int pcr() {
    return header().pcr();
  }

  /** The unsigned 32-bit event type. */
  default long type() {
    return header().type();
  }

  default String typeName() {
    return header().typeName();
  }

  /** A copy of the digests per known bank. */
  default Map<HashAlg, byte[]> digests() {
    return header().digests();
  }

  /** A copy of the raw event data. */
  default byte[] data() {
    return header().data();
  }

  /**
   * An ordered, JSON-friendly view (strings, numbers, booleans, lists and maps only): index, pcr,
   * type name, digests in hex per bank, then the decoded fields of this kind.
   */
  default Map<String, Object> describe() {
    return EventDescriber.describe(this);
  }
}
