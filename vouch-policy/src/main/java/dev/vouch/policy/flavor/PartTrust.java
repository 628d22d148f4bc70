package dev.vouch.policy.flavor;

import java.util.List;
import java.util.Objects;

/**
 * The verdict for one flavor part (ISecL {@code flavors_trust[PART]}).
 *
 * @param part the part
 * @param trusted whether the group's match policy for it is met
 * @param rules the rule results that decided it
 */
public record PartTrust(FlavorPart part, boolean trusted, List<FlavorRuleResult> rules) {
  public PartTrust {
    Objects.requireNonNull(part, "part");
    rules = List.copyOf(rules);
  }
}
