package dev.vouch.policy;

/** How one rule ended. {@link #ERROR} counts as a failure: policies fail closed. */
public enum Outcome {
  PASSED,
  FAILED,
  ERROR
}
