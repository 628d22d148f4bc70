package dev.vouch.policy.flavor;

import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Why a rule failed, named as ISecL names faults (without the {@code fault.} prefix): see the
 * constants. Event-log faults list the missing or unexpected events.
 *
 * @param name e.g. {@code PcrValueMismatchSHA256}
 * @param description a sentence for people
 * @param pcrIndex the PCR concerned, when one is
 * @param entries the missing or unexpected events or IMA entries, when the fault is about a list
 */
public record Fault(
    String name, String description, OptionalInt pcrIndex, List<FlavorEvent> entries) {
  public static final String PCR_VALUE_MISMATCH = "PcrValueMismatch";
  public static final String PCR_VALUE_MISSING = "PcrValueMissing";
  public static final String PCR_MANIFEST_MISSING = "PcrManifestMissing";
  public static final String PCR_EVENT_LOG_MISSING = "PcrEventLogMissing";
  public static final String PCR_EVENT_LOG_INVALID = "PcrEventLogInvalid";
  public static final String PCR_EVENT_LOG_MISSING_EXPECTED_ENTRIES =
      "PcrEventLogMissingExpectedEntries";
  public static final String PCR_EVENT_LOG_CONTAINS_UNEXPECTED_ENTRIES =
      "PcrEventLogContainsUnexpectedEntries";
  public static final String FLAVOR_SIGNATURE_MISSING = "FlavorSignatureMissing";
  public static final String FLAVOR_SIGNATURE_NOT_TRUSTED = "FlavorSignatureNotTrusted";
  public static final String FLAVOR_SIGNATURE_VERIFICATION_FAILED =
      "FlavorSignatureVerificationFailed";
  public static final String REQUIRED_FLAVOR_TYPE_MISSING = "RequiredFlavorTypeMissing";
  public static final String ALL_OF_FLAVORS_MISSING = "AllOfFlavorsMissing";
  public static final String IMA_EVENT_LOG_MISSING = "ImaEventLogMissing";
  public static final String IMA_EVENT_LOG_MISSING_EXPECTED_ENTRIES =
      "ImaEventLogMissingExpectedEntries";
  public static final String IMA_EVENT_LOG_CONTAINS_UNEXPECTED_ENTRIES =
      "ImaEventLogContainsUnexpectedEntries";
  public static final String IMA_EVENT_LOG_MISMATCHED_ENTRIES = "ImaEventLogMismatchedEntries";
  public static final String SOFTWARE_MEASUREMENTS_UNSUPPORTED = "XmlMeasurementLogMissing";

  public Fault {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(pcrIndex, "pcrIndex");
    entries = List.copyOf(entries);
  }

  static Fault of(String name, String description) {
    return new Fault(name, description, OptionalInt.empty(), List.of());
  }

  static Fault atPcr(String name, int pcr, String description, List<FlavorEvent> entries) {
    return new Fault(name, description, OptionalInt.of(pcr), entries);
  }

  /** True when this is a fault of the given name (bank suffixes such as SHA256 ignored). */
  public boolean is(String faultName) {
    return name.equals(faultName)
        || (name.startsWith(faultName) && name.substring(faultName.length()).startsWith("SHA"));
  }
}
