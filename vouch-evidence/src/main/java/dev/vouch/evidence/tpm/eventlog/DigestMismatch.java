package dev.vouch.evidence.tpm.eventlog;

import dev.vouch.core.crypto.HashAlg;
import java.util.Objects;

/**
 * An entry of a {@link DigestBinding#DATA} type whose digest in one bank is not the hash of its
 * event data.
 *
 * @param index the entry's sequence number in the log
 * @param pcr the PCR it extends
 * @param type the unsigned 32-bit event type
 * @param bank the first bank whose digest differs
 */
public record DigestMismatch(int index, int pcr, long type, HashAlg bank) {
  public DigestMismatch {
    Objects.requireNonNull(bank, "bank");
  }

  /** The event type's specification name. */
  public String typeName() {
    return EventType.nameOf(type);
  }

  /** One line naming the event index, type, PCR and bank, for failures and {@code show}. */
  public String describe() {
    return "event "
        + index
        + " ("
        + typeName()
        + ", PCR "
        + pcr
        + "): its "
        + bank.shortName()
        + " digest is not the hash of its event data";
  }
}
