package dev.vouch.policy;

/**
 * Bounds on the work one rule may do. CEL expressions always terminate, but comprehensions over
 * large lists nest multiplicatively; a rule that exceeds a bound is an {@link Outcome#ERROR}, which
 * fails closed.
 *
 * @param maxIterations comprehension iterations per rule evaluation (CEL's iteration budget)
 * @param maxSteps expression nodes evaluated per rule evaluation (counted by the engine)
 */
public record EvaluationLimits(int maxIterations, int maxSteps) {

  /** 10,000 iterations and 100,000 evaluation steps per rule: far above any sensible rule. */
  public static final EvaluationLimits DEFAULT = new EvaluationLimits(10_000, 100_000);

  public EvaluationLimits {
    if (maxIterations < 1 || maxSteps < 1) {
      throw new IllegalArgumentException("limits must be positive");
    }
  }
}
