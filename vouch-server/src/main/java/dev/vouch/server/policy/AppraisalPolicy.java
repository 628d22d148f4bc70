package dev.vouch.server.policy;

import dev.vouch.policy.Policy;
import dev.vouch.policy.PolicyCompiler;
import dev.vouch.policy.PolicyException;
import dev.vouch.policy.trustee.Ar4siPolicy;

/**
 * An attestation policy in one of the two forms the AS stores and runs: a rule document ({@link
 * PolicyCompiler}: per-rule affirming/warning/contraindicated over Vouch's flat claims) or a trust
 * claim document ({@link Ar4siPolicy}: Trustee's EAR policy shape, exact AR4SI values over
 * Trustee's claim tree). A document with a top-level {@code trust_claims} key is the second form.
 */
public sealed interface AppraisalPolicy {
  /** The policy id. */
  String id();

  /** The stored version (0 for a built-in policy). */
  int version();

  /** A rule document. */
  record Rules(Policy policy) implements AppraisalPolicy {
    @Override
    public String id() {
      return policy.id();
    }

    @Override
    public int version() {
      return policy.version();
    }
  }

  /** A trust claim document, appraised over Trustee's claim tree. */
  record TrustClaims(Ar4siPolicy policy, int version) implements AppraisalPolicy {
    @Override
    public String id() {
      return policy.id();
    }
  }

  /**
   * Compiles {@code source} in the form its top-level keys name.
   *
   * @throws PolicyException when it does not compile in that form
   */
  static AppraisalPolicy compile(PolicyCompiler rules, String id, int version, String source)
      throws PolicyException {
    if (Ar4siPolicy.recognises(source)) {
      return new TrustClaims(Ar4siPolicy.compile(id, source, rules.limits()), version);
    }
    return new Rules(rules.compile(id, version, source));
  }
}
