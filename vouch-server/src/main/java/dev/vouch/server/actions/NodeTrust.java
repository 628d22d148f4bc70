package dev.vouch.server.actions;

import dev.vouch.policy.flavor.HostStatus;
import java.util.Optional;

/**
 * The values of the node label {@code vouch.dev/trust}: what the host's last signed trust report
 * said, as workloads and the admission webhook see it.
 */
public enum NodeTrust {
  /** The last trust report was VERIFIED and the node is not cordoned by Vouch. */
  VERIFIED("verified"),
  /** The last trust report was a failure; the node is (being) cordoned. */
  UNTRUSTED("untrusted"),
  /** Not attested since enrollment or onboarding, or the agent could not be asked. */
  UNKNOWN("unknown");

  private final String value;

  NodeTrust(String value) {
    this.value = value;
  }

  /** The label value. */
  public String value() {
    return value;
  }

  /** The label a host status gives its node. */
  public static NodeTrust of(HostStatus status) {
    return switch (status) {
      case VERIFIED -> VERIFIED;
      case ATTESTATION_FAILED, SECURE_BOOT_DISABLED -> UNTRUSTED;
      case UNKNOWN -> UNKNOWN;
    };
  }

  /** The trust a label value names; empty for an absent or foreign value. */
  public static Optional<NodeTrust> parse(String value) {
    for (NodeTrust t : values()) {
      if (t.value.equals(value)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
