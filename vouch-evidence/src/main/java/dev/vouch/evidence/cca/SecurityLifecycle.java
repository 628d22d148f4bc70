package dev.vouch.evidence.cca;

/**
 * Names of the security lifecycle states in PSA and CCA platform tokens. The high byte of the claim
 * is the state; the low byte is implementation defined.
 */
public final class SecurityLifecycle {
  private SecurityLifecycle() {}

  /** The CCA platform state name, e.g. {@code secured} for 0x3003; {@code invalid} otherwise. */
  public static String ccaName(long value) {
    return name(
        value,
        "cca_platform_rot_provisioning",
        "non_cca_platform_debug",
        "recoverable_cca_platform_debug");
  }

  /** The PSA state name, e.g. {@code secured} for 0x3000; {@code invalid} otherwise. */
  public static String psaName(long value) {
    return name(value, "psa_rot_provisioning", "non_psa_rot_debug", "recoverable_psa_rot_debug");
  }

  private static String name(long value, String provisioning, String debug, String recoverable) {
    if (value < 0 || value > 0xffff) {
      return "invalid";
    }
    return switch ((int) (value >>> 8)) {
      case 0x00 -> "unknown";
      case 0x10 -> "assembly_and_test";
      case 0x20 -> provisioning;
      case 0x30 -> "secured";
      case 0x40 -> debug;
      case 0x50 -> recoverable;
      case 0x60 -> "decommissioned";
      default -> "invalid";
    };
  }
}
