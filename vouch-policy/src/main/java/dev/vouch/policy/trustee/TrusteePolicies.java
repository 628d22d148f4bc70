package dev.vouch.policy.trustee;

import dev.vouch.policy.PolicyException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Trustee's default attestation policy translated to CEL, shipped as a resource ({@code
 * dev/vouch/policy/trustee/ear_default_policy_cpu.yaml}); docs/trustee-policies.md sets the Rego
 * and the CEL side by side.
 */
public final class TrusteePolicies {
  /** The id of the translation of Trustee's {@code ear_default_policy_cpu.rego}. */
  public static final String EAR_DEFAULT_CPU = "ear_default_policy_cpu";

  /**
   * The built-in policy id under which the attestation service offers the translation (Trustee
   * names it {@code default} for its {@code cpu} class; Vouch's {@code default} is its own per-kind
   * policy). Storing a policy under this id replaces it.
   */
  public static final String BUILTIN_ID = "trustee-default-cpu";

  private TrusteePolicies() {}

  /** The YAML source of the translation. */
  public static String earDefaultCpuSource() {
    String path = EAR_DEFAULT_CPU + ".yaml";
    try (InputStream in = TrusteePolicies.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The compiled translation of Trustee's default CPU policy, with the id {@link #BUILTIN_ID}. */
  public static Ar4siPolicy earDefaultCpu() {
    try {
      return Ar4siPolicy.compile(BUILTIN_ID, earDefaultCpuSource());
    } catch (PolicyException e) {
      // compiled by the tests; reaching this is a packaging error
      throw new IllegalStateException(e.getMessage(), e);
    }
  }
}
