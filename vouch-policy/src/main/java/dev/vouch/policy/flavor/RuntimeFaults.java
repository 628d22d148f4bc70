package dev.vouch.policy.flavor;

import dev.vouch.evidence.runtime.RuntimeAppraiser;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * IMA runtime appraisal ({@link RuntimeAppraiser}) and the boot_aggregate check as rules of the
 * host's IMA part, so that they fail a host and appear in its signed trust report like any other
 * flavor rule. Rule and fault names are stable.
 */
public final class RuntimeFaults {
  /** The rule: every quoted IMA entry passes the host's runtime policy. */
  public static final String RUNTIME_POLICY_RULE = "ImaRuntimePolicy";

  /** The rule: the first IMA entry is the aggregate of the quoted PCRs 0-7. */
  public static final String BOOT_AGGREGATE_RULE = "ImaBootAggregate";

  /** An entry failed the runtime policy; its events name entry, path, digest, algorithm, rule. */
  public static final String RUNTIME_POLICY_VIOLATION = "ImaRuntimePolicyViolation";

  /** The boot_aggregate entry is not the aggregate of the quoted PCRs 0-7. */
  public static final String BOOT_AGGREGATE_MISMATCH = "ImaBootAggregateMismatch";

  private RuntimeFaults() {}

  /**
   * The runtime-policy rule over {@code findings} (entry numbers from the list's start).
   *
   * @param policy the policy's name and version, for the fault text
   * @param total how many entries failed in all; {@code findings} may hold only the first ones
   */
  public static FlavorRuleResult runtimePolicy(
      String policy, List<RuntimeAppraiser.Finding> findings, long total) {
    List<Fault> faults = new ArrayList<>();
    if (total > 0) {
      List<FlavorEvent> events = new ArrayList<>();
      for (RuntimeAppraiser.Finding f : findings) {
        events.add(
            new FlavorEvent(
                0,
                "ima",
                List.of(f.path(), f.algorithm(), f.rule().name()),
                hexOf(f.digest()),
                OptionalInt.of(f.entry()),
                f.rule() + " entry " + f.entry() + " " + f.path() + ": " + f.detail()));
      }
      RuntimeAppraiser.Finding first = findings.isEmpty() ? null : findings.get(0);
      String description =
          total
              + " IMA entries fail runtime policy "
              + policy
              + (first == null
                  ? ""
                  : "; first: entry "
                      + first.entry()
                      + " "
                      + first.path()
                      + " "
                      + first.digest()
                      + " ("
                      + first.rule()
                      + ")");
      faults.add(new Fault(RUNTIME_POLICY_VIOLATION, description, OptionalInt.of(10), events));
    }
    return FlavorRuleResult.of(RUNTIME_POLICY_RULE, FlavorPart.IMA, Optional.empty(), faults);
  }

  /** The boot_aggregate rule: failed when the verifier found a mismatch. */
  public static FlavorRuleResult bootAggregate(boolean mismatch) {
    List<Fault> faults =
        mismatch
            ? List.of(
                new Fault(
                    BOOT_AGGREGATE_MISMATCH,
                    "the IMA boot_aggregate entry is not the aggregate of the quoted PCRs 0-7",
                    OptionalInt.of(10),
                    List.of()))
            : List.of();
    return FlavorRuleResult.of(BOOT_AGGREGATE_RULE, FlavorPart.IMA, Optional.empty(), faults);
  }

  /**
   * {@code trust} with {@code rules} added to its IMA part: a failed rule makes the part untrusted,
   * the report not OVERALL trusted and a VERIFIED host ATTESTATION_FAILED.
   */
  public static HostTrust withImaRules(HostTrust trust, List<FlavorRuleResult> rules) {
    if (rules.isEmpty()) {
      return trust;
    }
    boolean passed = rules.stream().allMatch(FlavorRuleResult::trusted);
    Map<FlavorPart, PartTrust> parts = new EnumMap<>(FlavorPart.class);
    parts.putAll(trust.parts());
    PartTrust ima = parts.get(FlavorPart.IMA);
    List<FlavorRuleResult> all = new ArrayList<>(ima == null ? List.of() : ima.rules());
    all.addAll(rules);
    parts.put(
        FlavorPart.IMA,
        new PartTrust(FlavorPart.IMA, (ima == null || ima.trusted()) && passed, all));
    if (passed) {
      return new HostTrust(trust.status(), trust.overall(), parts, trust.flavors(), trust.detail());
    }
    boolean wasVerified = trust.status() == HostStatus.VERIFIED;
    return new HostTrust(
        wasVerified ? HostStatus.ATTESTATION_FAILED : trust.status(),
        false,
        parts,
        trust.flavors(),
        wasVerified ? "IMA runtime appraisal failed" : trust.detail());
  }

  /** The hex part of an {@code alg:hex} digest. */
  private static String hexOf(String digest) {
    int colon = digest.lastIndexOf(':');
    return colon < 0 ? digest : digest.substring(colon + 1);
  }
}
