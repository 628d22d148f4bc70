package dev.vouch.policy.rvps;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A named list of acceptable values, e.g. {@code tpm.pcr.sha256.7 -> ["ab12…", "cd34…"]}. Policies
 * see it as {@code reference["tpm.pcr.sha256.7"]}. Values are policy values (String, Long, Double,
 * Boolean, List, Map).
 *
 * @param name the reference value id
 * @param values acceptable values
 * @param provenance how it was registered
 * @param notBefore first instant it counts, or {@code null} for "from registration"
 * @param expires first instant it no longer counts, or {@code null} for no expiry
 */
public record ReferenceValue(
    String name, List<Object> values, Provenance provenance, Instant notBefore, Instant expires) {

  public ReferenceValue {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(provenance, "provenance");
    values = List.copyOf(values);
  }

  /**
   * Whether the value counts at the given instant: not before {@code notBefore}, before {@code
   * expires}.
   */
  public boolean validAt(Instant at) {
    return (notBefore == null || !at.isBefore(notBefore))
        && (expires == null || at.isBefore(expires));
  }
}
