package dev.vouch.policy;

/**
 * One named rule of a policy: a CEL boolean expression over {@code claims}, {@code reference} and
 * {@code input} that contributes to one AR4SI category.
 *
 * @param name unique within the policy
 * @param category the trust-vector category the rule appraises
 * @param expression the CEL source
 * @param onFail the tier the category gets when the rule is false: {@link Tier#WARNING} or {@link
 *     Tier#CONTRAINDICATED}
 * @param description optional prose shown to operators; may be empty
 */
public record Rule(
    String name, Category category, String expression, Tier onFail, String description) {}
