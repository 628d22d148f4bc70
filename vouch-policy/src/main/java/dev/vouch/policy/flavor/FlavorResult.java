package dev.vouch.policy.flavor;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * How one flavor fared against a host.
 *
 * @param flavorId the flavor
 * @param part its part
 * @param trusted every rule passed
 * @param rules the rule results
 */
public record FlavorResult(
    UUID flavorId, FlavorPart part, boolean trusted, List<FlavorRuleResult> rules) {
  public FlavorResult {
    Objects.requireNonNull(flavorId, "flavorId");
    Objects.requireNonNull(part, "part");
    rules = List.copyOf(rules);
  }

  /** Every fault of every rule. */
  public List<Fault> faults() {
    return rules.stream().flatMap(r -> r.faults().stream()).toList();
  }
}
