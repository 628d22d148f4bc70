package dev.vouch.bench.load;

/**
 * A kind of load against a running server: {@link #prepare} makes the server ready for it through
 * the admin API (reference values, a resource), then {@link #operation} is what each arrival does.
 */
public interface Workload {
  String name();

  /**
   * @throws Exception when the server refuses the set-up (wrong admin token, feature disabled)
   */
  void prepare(Target target) throws Exception;

  Operation operation(Target target);
}
