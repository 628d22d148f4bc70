package dev.vouch.policy.flavor;

/**
 * A host's trust status. {@link #SECURE_BOOT_DISABLED} wins over flavor results: a host whose
 * verified event log does not show Secure Boot on is never {@link #VERIFIED}.
 */
public enum HostStatus {
  /** Every required flavor part matched and Secure Boot is on. */
  VERIFIED,
  /** Some flavor rule failed, or a required flavor part is missing. */
  ATTESTATION_FAILED,
  /** The verified event log shows Secure Boot off, or does not show it at all. */
  SECURE_BOOT_DISABLED,
  /**
   * Never attested, or VERIFIED before and the last attestation could not ask the agent, or
   * onboarded afresh and not attested since. A failed host whose agent cannot be asked keeps its
   * failure status instead.
   */
  UNKNOWN;

  /** True for the statuses that take a host out of service (its node is cordoned). */
  public boolean isFailure() {
    return this == ATTESTATION_FAILED || this == SECURE_BOOT_DISABLED;
  }
}
