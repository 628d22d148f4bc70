package dev.vouch.policy.flavor;

import java.util.Objects;

/**
 * How a flavor group judges one flavor part (ISecL {@code match_policy}).
 *
 * @param matchType ANY_OF: one flavor of the part must match; ALL_OF: all of them; LATEST: only the
 *     newest one counts
 * @param required REQUIRED: the group must hold a flavor of the part; REQUIRED_IF_DEFINED: the part
 *     is judged only when the group (for HOST_UNIQUE and ASSET_TAG: the host) has such a flavor
 */
public record MatchPolicy(MatchType matchType, Required required) {
  public MatchPolicy {
    Objects.requireNonNull(matchType, "matchType");
    Objects.requireNonNull(required, "required");
  }

  /** ISecL's match types. */
  public enum MatchType {
    ANY_OF,
    ALL_OF,
    LATEST
  }

  /** ISecL's requirement levels. */
  public enum Required {
    REQUIRED,
    REQUIRED_IF_DEFINED
  }
}
