package dev.vouch.policy.flavor;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * One measured event as flavors and host manifests list it: the event type, the tags derived from
 * its data (UEFI variable names such as {@code db} or {@code SecureBoot}, ISecL labels such as
 * {@code vmlinuz}) and the digest extended into the PCR bank. ISecL compares events by digest.
 *
 * <p>Events taken from a host's verified log also carry their position in that log and a short
 * description of their data, so that a fault can name the offending event; flavor events read from
 * ISecL JSON have neither (a position means nothing on another host).
 *
 * @param typeId the TCG event type
 * @param typeName its name, e.g. {@code EV_EFI_VARIABLE_DRIVER_CONFIG}
 * @param tags labels rules select events by; may be empty
 * @param measurement the digest, lower-case hex
 * @param index the event's sequence number in the host's log, from 0; empty when not from a log
 * @param description what the event's data says (boot-loader text, variable name, tag text...);
 *     empty when nothing readable
 */
public record FlavorEvent(
    long typeId,
    String typeName,
    List<String> tags,
    String measurement,
    OptionalInt index,
    String description) {
  /** The {@code EV_NO_ACTION} type: such events are logged but never extended. */
  public static final long EV_NO_ACTION = 3;

  /**
   * The type of a file the trust agent measured into PCR 15 from its software manifest: not a TCG
   * type (the agent logs these outside the firmware log), numbered outside TCG's ranges.
   */
  public static final long SOFTWARE_FILE = 0x564f0001L;

  /** The name of {@link #SOFTWARE_FILE}. */
  public static final String SOFTWARE_FILE_TYPE = "VOUCH_SOFTWARE_FILE";

  public FlavorEvent {
    Objects.requireNonNull(typeName, "typeName");
    tags = List.copyOf(tags);
    measurement = measurement.toLowerCase(Locale.ROOT);
    Objects.requireNonNull(index, "index");
    Objects.requireNonNull(description, "description");
  }

  /** An event as a flavor lists it: no log position, no description. */
  public FlavorEvent(long typeId, String typeName, List<String> tags, String measurement) {
    this(typeId, typeName, tags, measurement, OptionalInt.empty(), "");
  }

  /** True when the event carries any of {@code wanted}. */
  public boolean hasAnyTag(java.util.Collection<String> wanted) {
    for (String t : tags) {
      if (wanted.contains(t)) {
        return true;
      }
    }
    return false;
  }

  /** True when the event's type name or its number (decimal or {@code 0x} hex) is in the list. */
  public boolean hasAnyType(java.util.Collection<String> types) {
    for (String t : types) {
      if (t.equalsIgnoreCase(typeName)
          || t.equalsIgnoreCase(Long.toString(typeId))
          || t.equalsIgnoreCase("0x" + Long.toHexString(typeId))) {
        return true;
      }
    }
    return false;
  }

  /**
   * How faults name the event: {@code #12 EV_EVENT_TAG sha-digest "evil-config"} (index and
   * description left out when unknown).
   */
  public String label() {
    StringBuilder s = new StringBuilder();
    index.ifPresent(i -> s.append('#').append(i).append(' '));
    s.append(typeName.isEmpty() ? "0x" + Long.toHexString(typeId) : typeName);
    s.append(' ').append(measurement);
    if (!description.isEmpty()) {
      s.append(" \"").append(description).append('"');
    }
    return s.toString();
  }
}
