package dev.vouch.policy.flavor;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * A named set of match policies, one per flavor part; parts without a policy are not judged.
 *
 * @param name e.g. {@code automatic}
 * @param policies the policy per part
 */
public record FlavorGroup(String name, Map<FlavorPart, MatchPolicy> policies) {
  public FlavorGroup {
    Objects.requireNonNull(name, "name");
    policies = Map.copyOf(policies);
  }

  /**
   * ISecL's default group {@code automatic}: PLATFORM and OS ANY_OF REQUIRED, SOFTWARE and IMA
   * ALL_OF REQUIRED_IF_DEFINED, ASSET_TAG and HOST_UNIQUE LATEST REQUIRED_IF_DEFINED.
   */
  public static FlavorGroup automatic() {
    Map<FlavorPart, MatchPolicy> p = new EnumMap<>(FlavorPart.class);
    p.put(
        FlavorPart.PLATFORM,
        new MatchPolicy(MatchPolicy.MatchType.ANY_OF, MatchPolicy.Required.REQUIRED));
    p.put(
        FlavorPart.OS,
        new MatchPolicy(MatchPolicy.MatchType.ANY_OF, MatchPolicy.Required.REQUIRED));
    p.put(
        FlavorPart.SOFTWARE,
        new MatchPolicy(MatchPolicy.MatchType.ALL_OF, MatchPolicy.Required.REQUIRED_IF_DEFINED));
    p.put(
        FlavorPart.IMA,
        new MatchPolicy(MatchPolicy.MatchType.ALL_OF, MatchPolicy.Required.REQUIRED_IF_DEFINED));
    p.put(
        FlavorPart.ASSET_TAG,
        new MatchPolicy(MatchPolicy.MatchType.LATEST, MatchPolicy.Required.REQUIRED_IF_DEFINED));
    p.put(
        FlavorPart.HOST_UNIQUE,
        new MatchPolicy(MatchPolicy.MatchType.LATEST, MatchPolicy.Required.REQUIRED_IF_DEFINED));
    return new FlavorGroup("automatic", p);
  }
}
