package dev.vouch.server.actions;

/** The trust status of an enrolled host, as the attestation manager records it. */
public enum HostStatus {
  /** The last attestation passed every check. */
  VERIFIED,
  /** The last attestation failed: bad quote, replay mismatch or a flavor rule not met. */
  ATTESTATION_FAILED,
  /** The verified event log shows Secure Boot disabled, a base dependency of trust. */
  SECURE_BOOT_DISABLED,
  /** Not attested yet, or the host could not be reached. */
  UNKNOWN;

  /** True for the statuses that take a host out of service (its node is cordoned). */
  public boolean isFailure() {
    return this == ATTESTATION_FAILED || this == SECURE_BOOT_DISABLED;
  }
}
