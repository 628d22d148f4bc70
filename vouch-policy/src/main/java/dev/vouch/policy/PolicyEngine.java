package dev.vouch.policy;

import dev.cel.common.CelErrorCode;
import dev.cel.runtime.CelEvaluationException;
import dev.vouch.core.Claims;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates a {@link Policy} over claims, reference values and input. Evaluation never throws for
 * anything the data contains: a rule that reads an absent claim fails ("claim x is absent"), a rule
 * that errors or exceeds the policy's {@link EvaluationLimits} counts as contraindicated.
 * Thread-safe.
 */
public final class PolicyEngine {
  private PolicyEngine() {}

  /** Evaluates with claims from a verifier. */
  public static Appraisal evaluate(
      Policy policy, Claims claims, Map<String, ?> reference, Map<String, ?> input) {
    return evaluate(policy, claims.asMap(), reference, input);
  }

  /**
   * Evaluates every rule and builds the trust vector.
   *
   * @param claims flat claims; values String, Long (or smaller integers), Double, Boolean, List,
   *     Map
   * @param reference reference values by name, each a list (a single value is treated as a list of
   *     one)
   * @param input request data (runtime data, init data claims); may be empty
   * @throws IllegalArgumentException for values policies cannot see (e.g. byte arrays), a caller
   *     error rather than bad evidence
   */
  public static Appraisal evaluate(
      Policy policy, Map<String, ?> claims, Map<String, ?> reference, Map<String, ?> input) {
    Map<String, Object> c = Values.normalizeMap(claims);
    Map<String, Object> r = referenceLists(reference);
    Map<String, Object> in = Values.normalizeMap(input);
    Map<String, Object> vars = Map.of("claims", c, "reference", r, "input", in);
    EnumMap<Category, Tier> tiers = new EnumMap<>(Category.class);
    List<RuleResult> results = new ArrayList<>(policy.compiledRules().size());
    for (CompiledRule rule : policy.compiledRules()) {
      RuleResult result = run(rule, vars, c, r, in);
      results.add(result);
      tiers.merge(result.category(), result.tier(), Tier::worst);
    }
    EnumMap<Category, Integer> vector = new EnumMap<>(Category.class);
    tiers.forEach((cat, t) -> vector.put(cat, t.code()));
    return new Appraisal(policy.id(), policy.version(), new TrustVector(vector), results);
  }

  private static Map<String, Object> referenceLists(Map<String, ?> reference) {
    Map<String, Object> r = Values.normalizeMap(reference);
    for (Object v : r.values()) {
      if (!(v instanceof List<?>)) {
        Map<String, Object> wrapped = new java.util.LinkedHashMap<>();
        r.forEach((k, x) -> wrapped.put(k, x instanceof List<?> ? x : List.of(x)));
        return wrapped;
      }
    }
    return r;
  }

  /** Thrown from the evaluation listener to stop a rule that used up its step budget. */
  private static final class StepBudgetExceeded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StepBudgetExceeded() {
      super(null, null, false, false);
    }
  }

  private static RuleResult run(
      CompiledRule rule,
      Map<String, Object> vars,
      Map<String, Object> claims,
      Map<String, Object> reference,
      Map<String, Object> input) {
    Object[] values = new Object[rule.maxId() + 1];
    int[] steps = {0};
    int maxSteps = rule.limits().maxSteps();
    Rule r = rule.rule();
    Object result;
    try {
      result =
          rule.program()
              .trace(
                  vars,
                  (expr, value) -> {
                    if (++steps[0] > maxSteps) {
                      throw new StepBudgetExceeded();
                    }
                    int id = (int) expr.id();
                    if (id < values.length && rule.recorded().get(id)) {
                      values[id] = value;
                    }
                  });
    } catch (CelEvaluationException e) {
      return failure(rule, e, claims, reference, input);
    }
    if (!(result instanceof Boolean b)) {
      return new RuleResult(
          r.name(),
          r.category(),
          Outcome.ERROR,
          Tier.CONTRAINDICATED,
          List.of(new Finding.Error("the rule gave " + Values.render(result) + ", not a bool")));
    }
    List<Finding> findings = new ArrayList<>();
    Explainer.explain(rule.explain(), values, claims, reference, input, findings);
    return b
        ? new RuleResult(r.name(), r.category(), Outcome.PASSED, Tier.AFFIRMING, findings)
        : new RuleResult(r.name(), r.category(), Outcome.FAILED, r.onFail(), findings);
  }

  private static RuleResult failure(
      CompiledRule rule,
      CelEvaluationException e,
      Map<String, Object> claims,
      Map<String, Object> reference,
      Map<String, Object> input) {
    Rule r = rule.rule();
    if (e.getCause() instanceof StepBudgetExceeded) {
      return error(
          r, "cost limit exceeded: more than " + rule.limits().maxSteps() + " evaluation steps");
    }
    if (e.getErrorCode() == CelErrorCode.ITERATION_BUDGET_EXCEEDED) {
      return error(
          r, "cost limit exceeded: more than " + rule.limits().maxIterations() + " iterations");
    }
    if (e.getErrorCode() == CelErrorCode.ATTRIBUTE_NOT_FOUND) {
      List<Finding> absent = new ArrayList<>();
      absentOf(rule.claimNames(), claims, Finding.Source.CLAIM, absent);
      absentOf(rule.referenceNames(), reference, Finding.Source.REFERENCE, absent);
      absentOf(rule.inputNames(), input, Finding.Source.INPUT, absent);
      if (!absent.isEmpty()) {
        return new RuleResult(r.name(), r.category(), Outcome.FAILED, r.onFail(), absent);
      }
    }
    return error(r, e.getMessage());
  }

  private static void absentOf(
      java.util.Set<String> names,
      Map<String, Object> map,
      Finding.Source source,
      List<Finding> out) {
    for (String n : names) {
      if (!map.containsKey(n)) {
        out.add(new Finding.Presence(source, n, false, false));
      }
    }
  }

  private static RuleResult error(Rule r, String message) {
    return new RuleResult(
        r.name(),
        r.category(),
        Outcome.ERROR,
        Tier.CONTRAINDICATED,
        List.of(new Finding.Error(message)));
  }
}
