package dev.vouch.policy.flavor;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The matcher's verdict on a host.
 *
 * @param status the host status
 * @param overall ISecL's {@code OVERALL}: every judged part trusted, at least one judged, and the
 *     status VERIFIED (Secure Boot on)
 * @param parts the verdict per judged part
 * @param flavors every flavor that was evaluated and its rule results
 * @param detail a sentence for people, e.g. {@code "SecureBoot Disabled"}
 */
public record HostTrust(
    HostStatus status,
    boolean overall,
    Map<FlavorPart, PartTrust> parts,
    List<FlavorResult> flavors,
    String detail) {
  public HostTrust {
    Objects.requireNonNull(status, "status");
    parts = Map.copyOf(parts);
    flavors = List.copyOf(flavors);
    Objects.requireNonNull(detail, "detail");
  }
}
