package dev.vouch.policy.flavor;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One measured event as flavors and host manifests list it: the event type, the tags derived from
 * its data (UEFI variable names such as {@code db} or {@code SecureBoot}, ISecL labels such as
 * {@code vmlinuz}) and the digest extended into the PCR bank. ISecL compares events by digest.
 *
 * @param typeId the TCG event type
 * @param typeName its name, e.g. {@code EV_EFI_VARIABLE_DRIVER_CONFIG}
 * @param tags labels rules select events by; may be empty
 * @param measurement the digest, lower-case hex
 */
public record FlavorEvent(long typeId, String typeName, List<String> tags, String measurement) {
  public FlavorEvent {
    Objects.requireNonNull(typeName, "typeName");
    tags = List.copyOf(tags);
    measurement = measurement.toLowerCase(Locale.ROOT);
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
}
