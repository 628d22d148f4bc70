package dev.vouch.policy.flavor;

import dev.vouch.core.crypto.HashAlg;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

/**
 * One rule's verdict in a trust report (ISecL {@code RuleResult}).
 *
 * @param ruleName ISecL's rule name without prefix, e.g. {@code PcrMatchesConstant}
 * @param marker the flavor part the rule belongs to
 * @param flavorId the flavor that produced the rule; empty for group rules such as {@code
 *     RequiredFlavorTypeExists}
 * @param pcrIndex the PCR the rule is about
 * @param bank its bank
 * @param expected the expected value (PCR value) when there is one
 * @param trusted true when there is no fault
 * @param faults why not
 */
public record FlavorRuleResult(
    String ruleName,
    FlavorPart marker,
    Optional<UUID> flavorId,
    OptionalInt pcrIndex,
    Optional<HashAlg> bank,
    Optional<String> expected,
    boolean trusted,
    List<Fault> faults) {
  public static final String PCR_MATCHES_CONSTANT = "PcrMatchesConstant";
  public static final String PCR_EVENT_LOG_EQUALS = "PcrEventLogEquals";
  public static final String PCR_EVENT_LOG_EQUALS_EXCLUDING = "PcrEventLogEqualsExcluding";
  public static final String PCR_EVENT_LOG_INCLUDES = "PcrEventLogIncludes";
  public static final String PCR_EVENT_LOG_INTEGRITY = "PcrEventLogIntegrity";
  public static final String FLAVOR_TRUSTED = "FlavorTrusted";
  public static final String IMA_EVENT_LOG_EQUALS = "ImaEventLogEquals";
  public static final String REQUIRED_FLAVOR_TYPE_EXISTS = "RequiredFlavorTypeExists";
  public static final String ALL_OF_FLAVORS = "AllOfFlavors";
  public static final String XML_MEASUREMENT_LOG_EQUALS = "XmlMeasurementLogEquals";

  public FlavorRuleResult {
    Objects.requireNonNull(ruleName, "ruleName");
    Objects.requireNonNull(marker, "marker");
    Objects.requireNonNull(flavorId, "flavorId");
    Objects.requireNonNull(pcrIndex, "pcrIndex");
    Objects.requireNonNull(bank, "bank");
    Objects.requireNonNull(expected, "expected");
    faults = List.copyOf(faults);
    if (trusted != faults.isEmpty()) {
      throw new IllegalArgumentException("a rule is trusted exactly when it has no fault");
    }
  }

  static FlavorRuleResult of(
      String rule, FlavorPart part, Optional<UUID> flavor, List<Fault> faults) {
    return new FlavorRuleResult(
        rule,
        part,
        flavor,
        OptionalInt.empty(),
        Optional.empty(),
        Optional.empty(),
        faults.isEmpty(),
        faults);
  }

  static FlavorRuleResult ofPcr(
      String rule,
      FlavorPart part,
      UUID flavor,
      PcrRule pcr,
      boolean withValue,
      List<Fault> faults) {
    return new FlavorRuleResult(
        rule,
        part,
        Optional.of(flavor),
        OptionalInt.of(pcr.index()),
        Optional.of(pcr.bank()),
        withValue ? Optional.of(pcr.measurement()) : Optional.empty(),
        faults.isEmpty(),
        faults);
  }
}
