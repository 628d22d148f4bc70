package dev.vouch.policy.flavor;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Judges a host's verified evidence against the flavors of a group, as ISecL's verifier does: each
 * flavor's rules give results with faults, the group's match policy per part turns them into a
 * verdict per part, and OVERALL is true only when every judged part is trusted (and at least one
 * was judged). Secure Boot is a base requirement on top: the host is {@link
 * HostStatus#SECURE_BOOT_DISABLED} unless its verified event log shows Secure Boot on.
 *
 * <p>Event-log rules compare events by digest, as sets, like ISecL: an {@code eventlog_equals} rule
 * faults with {@code PcrEventLogContainsUnexpectedEntries} for measured digests the flavor does not
 * list and {@code PcrEventLogMissingExpectedEntries} for listed digests not measured, leaving out
 * events that carry one of the rule's {@code exclude_tags} on both sides.
 */
public final class FlavorMatcher {
  private static final int MEMO_LIMIT = 50_000;

  private final List<PublicKey> signingKeys;
  private final boolean checkSignatures;
  // flavors that verified, by whole value (content and signature): a host is judged by the same
  // stored flavors every poll, so each signature is checked once, and any change is a new key
  private final java.util.Set<SignedFlavor> verified =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private FlavorMatcher(List<PublicKey> signingKeys, boolean checkSignatures) {
    this.signingKeys = List.copyOf(signingKeys);
    this.checkSignatures = checkSignatures;
  }

  /** A matcher that trusts flavors signed by one of these keys (rule {@code FlavorTrusted}). */
  public static FlavorMatcher trusting(List<PublicKey> flavorSigningKeys) {
    return new FlavorMatcher(flavorSigningKeys, true);
  }

  /**
   * A matcher that does not check flavor signatures (ISecL's {@code
   * fvs-skip-flavor-signature-verification}): only for flavors from a store that is itself trusted,
   * or to compare imported ISecL flavors whose RSA signatures Vouch cannot check.
   */
  public static FlavorMatcher withoutSignatureChecks() {
    return new FlavorMatcher(List.of(), false);
  }

  /**
   * Matches a host against a group's flavors.
   *
   * @param group the match policies
   * @param flavors the group's flavors, oldest first (LATEST takes the last one of a part)
   * @param host the host's verified evidence
   */
  public HostTrust match(FlavorGroup group, List<SignedFlavor> flavors, HostEvidence host) {
    Map<FlavorPart, PartTrust> parts = new EnumMap<>(FlavorPart.class);
    List<FlavorResult> evaluated = new ArrayList<>();
    for (FlavorPart part : FlavorPart.values()) {
      MatchPolicy policy = group.policies().get(part);
      if (policy == null) {
        continue;
      }
      List<SignedFlavor> candidates = new ArrayList<>();
      for (SignedFlavor f : flavors) {
        if (f.flavor().part() == part && belongsTo(f.flavor(), host)) {
          candidates.add(f);
        }
      }
      if (candidates.isEmpty()) {
        if (policy.required() == MatchPolicy.Required.REQUIRED) {
          parts.put(
              part,
              new PartTrust(
                  part,
                  false,
                  List.of(
                      FlavorRuleResult.of(
                          FlavorRuleResult.REQUIRED_FLAVOR_TYPE_EXISTS,
                          part,
                          Optional.empty(),
                          List.of(
                              Fault.of(
                                  Fault.REQUIRED_FLAVOR_TYPE_MISSING,
                                  "the group requires a " + part + " flavor and has none"))))));
        }
        continue;
      }
      if (policy.matchType() == MatchPolicy.MatchType.LATEST) {
        candidates = List.of(candidates.get(candidates.size() - 1));
      }
      List<FlavorResult> results = new ArrayList<>();
      for (SignedFlavor f : candidates) {
        results.add(evaluate(f, host));
      }
      evaluated.addAll(results);
      parts.put(part, judge(part, policy.matchType(), results));
    }
    boolean overall = !parts.isEmpty() && parts.values().stream().allMatch(PartTrust::trusted);
    HostStatus status;
    String detail;
    if (!host.secureBoot().orElse(false)) {
      status = HostStatus.SECURE_BOOT_DISABLED;
      detail =
          host.secureBoot().isPresent()
              ? "SecureBoot Disabled"
              : "SecureBoot not shown by a verified event log";
    } else if (overall) {
      status = HostStatus.VERIFIED;
      detail = "Attestation successful";
    } else {
      status = HostStatus.ATTESTATION_FAILED;
      List<String> failed =
          parts.values().stream().filter(p -> !p.trusted()).map(p -> p.part().name()).toList();
      detail =
          parts.isEmpty()
              ? "no flavor part was judged"
              : String.join(", ", failed) + " trust verification failed";
    }
    // OVERALL never contradicts the status: Secure Boot off is untrusted whatever the flavors say
    return new HostTrust(
        status, overall && status == HostStatus.VERIFIED, parts, evaluated, detail);
  }

  private static boolean belongsTo(Flavor f, HostEvidence host) {
    if (f.part() != FlavorPart.HOST_UNIQUE && f.part() != FlavorPart.ASSET_TAG) {
      return true;
    }
    // host-unique flavors are linked to the machine by hardware UUID
    Optional<String> uuid = f.meta().describe("hardware_uuid");
    return uuid.isEmpty() || uuid.get().equalsIgnoreCase(host.host().hardwareUuid());
  }

  private static PartTrust judge(
      FlavorPart part, MatchPolicy.MatchType type, List<FlavorResult> results) {
    List<FlavorResult> trusted = results.stream().filter(FlavorResult::trusted).toList();
    List<FlavorRuleResult> rules = new ArrayList<>();
    boolean ok;
    switch (type) {
      case ANY_OF -> {
        ok = !trusted.isEmpty();
        (ok ? trusted : results).forEach(r -> rules.addAll(r.rules()));
      }
      case ALL_OF -> {
        ok = trusted.size() == results.size();
        results.forEach(r -> rules.addAll(r.rules()));
        if (!ok) {
          List<String> missing =
              results.stream().filter(r -> !r.trusted()).map(r -> r.flavorId().toString()).toList();
          rules.add(
              FlavorRuleResult.of(
                  FlavorRuleResult.ALL_OF_FLAVORS,
                  part,
                  Optional.empty(),
                  List.of(
                      Fault.of(
                          Fault.ALL_OF_FLAVORS_MISSING,
                          "flavors not matched: " + String.join(", ", missing)))));
        }
      }
      case LATEST -> {
        ok = results.get(0).trusted();
        rules.addAll(results.get(0).rules());
      }
      default -> throw new IllegalStateException("unknown match type " + type);
    }
    return new PartTrust(part, ok, rules);
  }

  /** Evaluates every rule of one flavor against the host. */
  public FlavorResult evaluate(SignedFlavor signed, HostEvidence host) {
    Flavor f = signed.flavor();
    UUID id = f.meta().id();
    FlavorPart part = f.part();
    List<FlavorRuleResult> rules = new ArrayList<>();
    for (PcrRule r : f.pcrs()) {
      if (r.pcrMatches()) {
        rules.add(pcrMatches(part, id, r, host));
      }
      r.eventlogEquals().ifPresent(eq -> rules.add(eventLogEquals(part, id, r, eq, host)));
      r.eventlogIncludes().ifPresent(inc -> rules.add(eventLogIncludes(part, id, r, inc, host)));
      if (r.eventlogEquals().isPresent() || r.eventlogIncludes().isPresent()) {
        rules.add(
            FlavorRuleResult.ofPcr(
                FlavorRuleResult.PCR_EVENT_LOG_INTEGRITY,
                part,
                id,
                r,
                false,
                integrityFaults(r, host)));
      }
    }
    boolean incremental =
        f.meta().describe(IMA_BASELINE).filter(IMA_BASELINE_PREFIX::equals).isPresent();
    f.ima()
        .ifPresent(
            expected ->
                rules.add(
                    incremental
                        ? imaPrefix(part, id, expected, host)
                        : ima(part, id, expected, host)));
    if (f.sections().containsKey("software")) {
      // SOFTWARE flavors describe tboot-xm measurement XML, which Vouch agents do not produce
      rules.add(
          FlavorRuleResult.of(
              FlavorRuleResult.XML_MEASUREMENT_LOG_EQUALS,
              part,
              Optional.of(id),
              List.of(
                  Fault.of(
                      Fault.SOFTWARE_MEASUREMENTS_UNSUPPORTED,
                      "the host supplied no software measurement log"))));
    }
    if (checkSignatures) {
      rules.add(
          FlavorRuleResult.of(
              FlavorRuleResult.FLAVOR_TRUSTED, part, Optional.of(id), signatureFaults(signed)));
    }
    boolean trusted = rules.stream().allMatch(FlavorRuleResult::trusted);
    return new FlavorResult(id, part, trusted, rules);
  }

  private List<Fault> signatureFaults(SignedFlavor signed) {
    if (signed.signature().isEmpty()) {
      return List.of(Fault.of(Fault.FLAVOR_SIGNATURE_MISSING, "the flavor is not signed"));
    }
    if (verified.contains(signed)) {
      return List.of();
    }
    try {
      FlavorSigner.verify(signed, signingKeys);
      if (verified.size() >= MEMO_LIMIT) {
        verified.clear();
      }
      verified.add(signed);
      return List.of();
    } catch (VerificationException e) {
      String name =
          e.failure() == Failure.SIGNATURE_INVALID
              ? Fault.FLAVOR_SIGNATURE_VERIFICATION_FAILED
              : Fault.FLAVOR_SIGNATURE_NOT_TRUSTED;
      return List.of(Fault.of(name, e.getMessage()));
    }
  }

  private static FlavorRuleResult pcrMatches(
      FlavorPart part, UUID id, PcrRule r, HostEvidence host) {
    Optional<byte[]> actual = host.pcrs().get(r.bank(), r.index());
    List<Fault> faults = new ArrayList<>();
    if (actual.isEmpty()) {
      faults.add(
          Fault.atPcr(
              Fault.PCR_VALUE_MISSING,
              r.index(),
              Banks.name(r.bank()) + " PCR " + r.index() + " is missing from the quote",
              List.of()));
    } else if (!Hex.encode(actual.get()).equalsIgnoreCase(r.measurement())) {
      faults.add(
          Fault.atPcr(
              Fault.PCR_VALUE_MISMATCH + Banks.name(r.bank()),
              r.index(),
              Banks.name(r.bank())
                  + " PCR "
                  + r.index()
                  + " is "
                  + Hex.encode(actual.get())
                  + ", the flavor expects "
                  + r.measurement(),
              List.of()));
    }
    return FlavorRuleResult.ofPcr(FlavorRuleResult.PCR_MATCHES_CONSTANT, part, id, r, true, faults);
  }

  /**
   * ISecL's {@code PcrEventLogIntegrity}: the log must have been replayed against the quote, and
   * the events of this PCR in this bank, extended in log order from the register's reset value,
   * must give the quoted value. An event-log rule over a log that does not add up to the register
   * would judge events the TPM never saw.
   */
  private static List<Fault> integrityFaults(PcrRule r, HostEvidence host) {
    String where = Banks.name(r.bank()) + " PCR " + r.index();
    if (!host.eventLogVerified()) {
      return List.of(
          Fault.atPcr(
              Fault.PCR_EVENT_LOG_INVALID,
              r.index(),
              where + " event log was not replayed against the quote",
              List.of()));
    }
    Optional<List<FlavorEvent>> log = host.eventsOf(r.bank(), r.index());
    if (log.isEmpty()) {
      return List.of(missingLog(r));
    }
    Optional<byte[]> quoted = host.pcrs().get(r.bank(), r.index());
    if (quoted.isEmpty()) {
      return List.of(
          Fault.atPcr(
              Fault.PCR_VALUE_MISSING, r.index(), where + " is missing from the quote", List.of()));
    }
    byte[] replayed = replay(r.bank(), r.index(), log.get());
    if (!java.security.MessageDigest.isEqual(replayed, quoted.get())) {
      return List.of(
          Fault.atPcr(
              Fault.PCR_EVENT_LOG_INVALID,
              r.index(),
              where
                  + " event log replays to "
                  + Hex.encode(replayed)
                  + ", the quote says "
                  + Hex.encode(quoted.get()),
              List.of()));
    }
    return List.of();
  }

  /**
   * Extends the events of one PCR from its reset value ({@code EV_NO_ACTION} entries are logged,
   * never extended; an event of PCR 0 tagged {@code StartupLocality<n>}, as ISecL tags it, sets its
   * initial value).
   */
  static byte[] replay(dev.vouch.core.crypto.HashAlg bank, int pcr, List<FlavorEvent> events) {
    int locality = 0;
    for (FlavorEvent e : events) {
      if (pcr != 0 || e.typeId() != FlavorEvent.EV_NO_ACTION) {
        continue;
      }
      for (String tag : e.tags()) {
        if (tag.matches(HostEvidence.STARTUP_LOCALITY + "[0-4]")) {
          locality = tag.charAt(tag.length() - 1) - '0';
        }
      }
    }
    byte[] value =
        dev.vouch.evidence.tpm.eventlog.TcgEventLog.initialRegisters(bank, locality)[pcr];
    for (FlavorEvent e : events) {
      if (e.typeId() != FlavorEvent.EV_NO_ACTION) {
        value = dev.vouch.evidence.tpm.PcrValues.extend(bank, value, Hex.decode(e.measurement()));
      }
    }
    return value;
  }

  private static FlavorRuleResult eventLogEquals(
      FlavorPart part, UUID id, PcrRule r, PcrRule.EventLogEquals eq, HostEvidence host) {
    String name =
        eq.excludes()
            ? FlavorRuleResult.PCR_EVENT_LOG_EQUALS_EXCLUDING
            : FlavorRuleResult.PCR_EVENT_LOG_EQUALS;
    Optional<List<FlavorEvent>> log = host.eventsOf(r.bank(), r.index());
    List<Fault> faults = new ArrayList<>();
    if (log.isEmpty()) {
      faults.add(missingLog(r));
    } else {
      List<FlavorEvent> actual = log.get().stream().filter(eq::compares).toList();
      List<FlavorEvent> expected = eq.events().stream().filter(eq::compares).toList();
      List<FlavorEvent> unexpected = subtract(actual, expected);
      List<FlavorEvent> missing = subtract(expected, actual);
      if (!unexpected.isEmpty()) {
        faults.add(
            Fault.atPcr(
                Fault.PCR_EVENT_LOG_CONTAINS_UNEXPECTED_ENTRIES,
                r.index(),
                Banks.name(r.bank())
                    + " PCR "
                    + r.index()
                    + " event log has "
                    + unexpected.size()
                    + " unexpected events: "
                    + labels(unexpected),
                unexpected));
      }
      if (!missing.isEmpty()) {
        faults.add(missingEntries(r, missing));
      }
    }
    return FlavorRuleResult.ofPcr(name, part, id, r, false, faults);
  }

  private static FlavorRuleResult eventLogIncludes(
      FlavorPart part, UUID id, PcrRule r, List<FlavorEvent> expected, HostEvidence host) {
    Optional<List<FlavorEvent>> log = host.eventsOf(r.bank(), r.index());
    List<Fault> faults = new ArrayList<>();
    if (log.isEmpty()) {
      faults.add(missingLog(r));
    } else {
      List<FlavorEvent> missing = subtract(expected, log.get());
      if (!missing.isEmpty()) {
        faults.add(missingEntries(r, missing));
      }
    }
    return FlavorRuleResult.ofPcr(
        FlavorRuleResult.PCR_EVENT_LOG_INCLUDES, part, id, r, false, faults);
  }

  private static Fault missingLog(PcrRule r) {
    return Fault.atPcr(
        Fault.PCR_EVENT_LOG_MISSING,
        r.index(),
        Banks.name(r.bank()) + " PCR " + r.index() + " has no event log",
        List.of());
  }

  private static Fault missingEntries(PcrRule r, List<FlavorEvent> missing) {
    return Fault.atPcr(
        Fault.PCR_EVENT_LOG_MISSING_EXPECTED_ENTRIES,
        r.index(),
        Banks.name(r.bank())
            + " PCR "
            + r.index()
            + " event log lacks "
            + missing.size()
            + " expected events: "
            + labels(missing),
        missing);
  }

  private static final int LABELS_LIMIT = 5;

  /** The first few events by index, type, digest and description, for people reading a fault. */
  private static String labels(List<FlavorEvent> events) {
    String shown =
        String.join("; ", events.stream().limit(LABELS_LIMIT).map(FlavorEvent::label).toList());
    return events.size() > LABELS_LIMIT
        ? shown + "; and " + (events.size() - LABELS_LIMIT) + " more"
        : shown;
  }

  /** The events of {@code a} whose digest no event of {@code b} has (ISecL's Subtract). */
  private static List<FlavorEvent> subtract(List<FlavorEvent> a, List<FlavorEvent> b) {
    Set<String> digests = new HashSet<>();
    b.forEach(e -> digests.add(e.measurement()));
    return a.stream().filter(e -> !digests.contains(e.measurement())).toList();
  }

  /**
   * The description member that says how an IMA flavor's list is compared: {@value
   * #IMA_BASELINE_PREFIX} for a baseline taken from a host, which a longer list still matches.
   */
  public static final String IMA_BASELINE = "ima_baseline";

  /** The list of an incremental IMA flavor is a prefix of the host's list. */
  public static final String IMA_BASELINE_PREFIX = "prefix";

  /**
   * An incremental IMA baseline: the host's list must begin with the baseline's entries in order
   * (the files the kernel measured then), and a later entry of a baseline file must carry one of
   * the digests the baseline knows for it, so that a file changed after the baseline fails by name
   * while files measured for the first time pass. {@code boot_aggregate} is left out on both sides:
   * its own rule judges it.
   */
  private static FlavorRuleResult imaPrefix(
      FlavorPart part, UUID id, List<ImaMeasurement> expected, HostEvidence host) {
    List<Fault> faults = new ArrayList<>();
    if (host.ima().isEmpty()) {
      faults.add(Fault.of(Fault.IMA_EVENT_LOG_MISSING, "the host supplied no IMA measurements"));
      return FlavorRuleResult.of(
          FlavorRuleResult.IMA_EVENT_LOG_EQUALS, part, Optional.of(id), faults);
    }
    List<ImaMeasurement> base = withoutBootAggregate(expected);
    List<ImaMeasurement> now = withoutBootAggregate(host.ima().get());
    Map<String, Set<String>> known = new HashMap<>();
    base.forEach(m -> known.computeIfAbsent(m.file(), k -> new HashSet<>()).add(m.measurement()));
    List<FlavorEvent> mismatched = new ArrayList<>();
    List<FlavorEvent> missing = new ArrayList<>();
    for (int i = 0; i < base.size(); i++) {
      ImaMeasurement want = base.get(i);
      if (i >= now.size()) {
        missing.add(imaEntry(want));
      } else if (!now.get(i).equals(want)) {
        if (now.get(i).file().equals(want.file())) {
          mismatched.add(imaEntry(now.get(i)));
        } else {
          // another file where the baseline had this one: the list is not the baseline's
          missing.add(imaEntry(want));
        }
      }
    }
    for (ImaMeasurement m : now.subList(Math.min(base.size(), now.size()), now.size())) {
      Set<String> ok = known.get(m.file());
      if (ok != null && !ok.contains(m.measurement())) {
        mismatched.add(imaEntry(m));
      }
    }
    addImaFault(faults, Fault.IMA_EVENT_LOG_MISMATCHED_ENTRIES, "mismatched", mismatched);
    addImaFault(faults, Fault.IMA_EVENT_LOG_MISSING_EXPECTED_ENTRIES, "missing", missing);
    return FlavorRuleResult.of(
        FlavorRuleResult.IMA_EVENT_LOG_EQUALS, part, Optional.of(id), faults);
  }

  private static List<ImaMeasurement> withoutBootAggregate(List<ImaMeasurement> list) {
    return list.stream().filter(m -> !m.file().equals("boot_aggregate")).toList();
  }

  private static FlavorRuleResult ima(
      FlavorPart part, UUID id, List<ImaMeasurement> expected, HostEvidence host) {
    List<Fault> faults = new ArrayList<>();
    if (host.ima().isEmpty()) {
      faults.add(Fault.of(Fault.IMA_EVENT_LOG_MISSING, "the host supplied no IMA measurements"));
    } else {
      Map<String, Set<String>> allowed = new LinkedHashMap<>();
      expected.forEach(
          m -> allowed.computeIfAbsent(m.file(), k -> new HashSet<>()).add(m.measurement()));
      Map<String, Boolean> seen = new HashMap<>();
      List<FlavorEvent> unexpected = new ArrayList<>();
      List<FlavorEvent> mismatched = new ArrayList<>();
      for (ImaMeasurement m : host.ima().get()) {
        Set<String> ok = allowed.get(m.file());
        if (ok == null) {
          unexpected.add(imaEntry(m));
        } else if (!ok.contains(m.measurement())) {
          mismatched.add(imaEntry(m));
        }
        seen.put(m.file(), true);
      }
      List<FlavorEvent> missing = new ArrayList<>();
      for (ImaMeasurement m : expected) {
        if (!seen.containsKey(m.file())) {
          missing.add(imaEntry(m));
        }
      }
      addImaFault(
          faults, Fault.IMA_EVENT_LOG_CONTAINS_UNEXPECTED_ENTRIES, "unexpected", unexpected);
      addImaFault(faults, Fault.IMA_EVENT_LOG_MISMATCHED_ENTRIES, "mismatched", mismatched);
      addImaFault(faults, Fault.IMA_EVENT_LOG_MISSING_EXPECTED_ENTRIES, "missing", missing);
    }
    return FlavorRuleResult.of(
        FlavorRuleResult.IMA_EVENT_LOG_EQUALS, part, Optional.of(id), faults);
  }

  private static void addImaFault(
      List<Fault> faults, String name, String what, List<FlavorEvent> entries) {
    if (!entries.isEmpty()) {
      faults.add(
          new Fault(
              name,
              entries.size() + " " + what + " IMA entries: " + labels(entries),
              java.util.OptionalInt.of(10),
              entries));
    }
  }

  /** IMA entries travel in faults as events of type "ima" tagged with the file path. */
  private static FlavorEvent imaEntry(ImaMeasurement m) {
    return new FlavorEvent(
        0, "ima", List.of(m.file()), m.measurement(), java.util.OptionalInt.empty(), m.file());
  }
}
