package dev.vouch.policy;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The verdict of one rule.
 *
 * @param rule the rule's name
 * @param category the AR4SI category it contributes to
 * @param outcome passed, failed, or error (a failure)
 * @param tier what the rule gives its category: affirming when passed, the rule's {@code on_fail}
 *     tier when failed, contraindicated on error
 * @param findings why: claims, expected and actual values
 */
public record RuleResult(
    String rule, Category category, Outcome outcome, Tier tier, List<Finding> findings) {

  public RuleResult {
    findings = List.copyOf(findings);
  }

  public boolean passed() {
    return outcome == Outcome.PASSED;
  }

  /**
   * The findings as one line of text, e.g. {@code claim tdx.debug: expected == false, actual true}.
   */
  public String explanation() {
    return findings.stream().map(Finding::text).collect(Collectors.joining("; "));
  }
}
