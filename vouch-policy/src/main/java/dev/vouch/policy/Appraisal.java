package dev.vouch.policy;

import java.util.List;

/**
 * The result of evaluating a policy over one set of claims: the AR4SI trust vector, the overall
 * status (worst tier, the {@code ear.status}) and one result per rule in policy order.
 */
public record Appraisal(
    String policyId, int policyVersion, TrustVector trustVector, List<RuleResult> rules) {

  public Appraisal {
    rules = List.copyOf(rules);
  }

  /** The {@code ear.status}: the worst tier over the trust vector. */
  public Tier status() {
    return trustVector.status();
  }

  /** True when the status is affirming. */
  public boolean affirming() {
    return status() == Tier.AFFIRMING;
  }

  /** Rules that failed or could not be evaluated. */
  public List<RuleResult> failures() {
    return rules.stream().filter(r -> !r.passed()).toList();
  }
}
