package dev.vouch.policy.flavor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;

/**
 * Decides when a host's current measurements become its golden flavors.
 *
 * <p>In {@link Mode#TOFU} (trust on first use, the seed behaviour of Open Edge Trusted Compute) the
 * first measurements of every boot become the host's golden flavors: when the host is seen for the
 * first time, or its TPM reset count differs from the one the current golden flavors were taken at
 * (a reboot), new flavors of the configured parts are made from the verified evidence. In {@link
 * Mode#STRICT} nothing is adopted automatically: only flavors an administrator approved count.
 * Every decision, including "keep", comes with an {@link AuditRecord} for the server to store.
 *
 * <p>TOFU is not blind to change: a new boot whose measurements differ from the previous golden
 * flavors comes with a {@link BaselineChange} naming the registers (and, from the verified event
 * logs, the events) that changed, for the server to publish as a {@code baseline-changed} event.
 * And when administrator-approved flavors exist for a part, TOFU adopts that part's measurements
 * only when one of those flavors matches them; otherwise the boot is REFUSED, as in strict mode.
 * Strict mode is the production setting; TOFU suits labs and first rollouts.
 */
public final class GoldenFlavors {
  /** How golden flavors are chosen. */
  public enum Mode {
    TOFU,
    STRICT
  }

  /** What a decision did. */
  public enum Action {
    /** New golden flavors were made from the current measurements. */
    ADOPTED,
    /** The current golden flavors stay (same boot). */
    KEPT,
    /** Measurements of a new boot were not adopted (strict mode). */
    REFUSED
  }

  /**
   * An audit entry for one decision.
   *
   * @param hostId the host
   * @param resetCount the TPM reset count of the evidence
   * @param previousResetCount the reset count the golden flavors were taken at, if any
   * @param mode the mode in force
   * @param action what was done
   * @param flavorIds the flavors adopted (empty unless ADOPTED)
   * @param reason a sentence for people
   * @param at when
   */
  public record AuditRecord(
      String hostId,
      long resetCount,
      OptionalLong previousResetCount,
      Mode mode,
      Action action,
      List<UUID> flavorIds,
      String reason,
      Instant at) {
    public AuditRecord {
      Objects.requireNonNull(hostId, "hostId");
      Objects.requireNonNull(previousResetCount, "previousResetCount");
      Objects.requireNonNull(mode, "mode");
      Objects.requireNonNull(action, "action");
      flavorIds = List.copyOf(flavorIds);
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(at, "at");
    }
  }

  /**
   * A decision.
   *
   * @param action what was done
   * @param adopted the new golden flavors (unsigned; empty unless ADOPTED)
   * @param audit the audit entry
   */
  public record Decision(
      Action action, List<Flavor> adopted, AuditRecord audit, Optional<BaselineChange> change) {
    public Decision {
      adopted = List.copyOf(adopted);
      Objects.requireNonNull(change, "change");
    }

    public Decision(Action action, List<Flavor> adopted, AuditRecord audit) {
      this(action, adopted, audit, Optional.empty());
    }
  }

  /**
   * The description member of golden flavors that keeps the events measured into each of their
   * registers, so that the next boot's change can name events and not only registers.
   */
  public static final String BASELINE_EVENTS = "vouch_baseline_events";

  private final Mode mode;
  private final FlavorFactory factory;
  private final FlavorTemplate template;
  private final Set<FlavorPart> parts;
  private final Clock clock;
  private final FlavorMatcher matcher;

  /**
   * @param mode TOFU or STRICT
   * @param factory makes the flavors
   * @param template the template the flavors follow
   * @param parts the parts adopted on first use (typically PLATFORM and HOST_UNIQUE)
   * @param clock the time of audit records
   */
  public GoldenFlavors(
      Mode mode,
      FlavorFactory factory,
      FlavorTemplate template,
      Set<FlavorPart> parts,
      Clock clock) {
    this(mode, factory, template, parts, clock, FlavorMatcher.withoutSignatureChecks());
  }

  /**
   * The same, judging new measurements against administrator-approved flavors with {@code matcher}
   * (give one that checks the approved flavors' signatures).
   */
  public GoldenFlavors(
      Mode mode,
      FlavorFactory factory,
      FlavorTemplate template,
      Set<FlavorPart> parts,
      Clock clock,
      FlavorMatcher matcher) {
    this.matcher = Objects.requireNonNull(matcher, "matcher");
    this.mode = Objects.requireNonNull(mode, "mode");
    this.factory = Objects.requireNonNull(factory, "factory");
    this.template = Objects.requireNonNull(template, "template");
    this.parts = parts.isEmpty() ? EnumSet.noneOf(FlavorPart.class) : EnumSet.copyOf(parts);
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public Mode mode() {
    return mode;
  }

  /**
   * Decides for one verified attestation of a host that has no previous golden flavors to compare
   * with and no approved flavors to constrain adoption.
   *
   * @see #decide(String, HostEvidence, OptionalLong, List, Map)
   */
  public Decision decide(String hostId, HostEvidence evidence, OptionalLong goldenResetCount)
      throws VerificationException {
    return decide(hostId, evidence, goldenResetCount, List.of(), Map.of());
  }

  /**
   * Decides for one verified attestation.
   *
   * @param hostId the host
   * @param evidence its verified evidence (must carry the quote's reset count)
   * @param goldenResetCount the reset count at which the host's current golden flavors were taken;
   *     empty when it has none
   * @param baseline the host's current golden flavors (what a new boot is compared with)
   * @param approved per part, the administrator-approved flavors the host is judged by; in TOFU a
   *     part that has some is adopted only when one of them matches the new measurements
   * @throws VerificationException MALFORMED when the evidence has no reset count; what {@link
   *     FlavorFactory#fromHost} throws when flavors cannot be made
   */
  public Decision decide(
      String hostId,
      HostEvidence evidence,
      OptionalLong goldenResetCount,
      List<Flavor> baseline,
      Map<FlavorPart, List<SignedFlavor>> approved)
      throws VerificationException {
    long reset =
        evidence
            .resetCount()
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.MALFORMED, "golden flavors need the quote's TPM reset count"));
    Instant now = clock.instant();
    boolean sameBoot = goldenResetCount.isPresent() && goldenResetCount.getAsLong() == reset;
    if (sameBoot) {
      return decision(
          Action.KEPT,
          List.of(),
          hostId,
          reset,
          goldenResetCount,
          "same boot (reset count " + reset + ")",
          now,
          Optional.empty());
    }
    String boot =
        goldenResetCount.isEmpty()
            ? "first measurements of the host (reset count " + reset + ")"
            : "first measurements after a reboot (reset count "
                + goldenResetCount.getAsLong()
                + " -> "
                + reset
                + ")";
    if (mode == Mode.STRICT) {
      return decision(
          Action.REFUSED,
          List.of(),
          hostId,
          reset,
          goldenResetCount,
          boot + " not adopted: strict mode counts administrator-approved flavors only",
          now,
          Optional.empty());
    }
    List<BaselineChange.PcrChange> changed = changes(baseline, evidence);
    String changeText =
        changed.isEmpty()
            ? ""
            : "; baseline changed: "
                + String.join(
                    "; ", changed.stream().map(BaselineChange.PcrChange::describe).toList());
    List<FlavorPart> unmatched = new ArrayList<>();
    for (FlavorPart part : parts) {
      List<SignedFlavor> constraints = approved.getOrDefault(part, List.of());
      if (!template.parts().containsKey(part) || constraints.isEmpty()) {
        continue;
      }
      if (constraints.stream().noneMatch(f -> matcher.evaluate(f, evidence).trusted())) {
        unmatched.add(part);
      }
    }
    if (!unmatched.isEmpty()) {
      return decision(
          Action.REFUSED,
          List.of(),
          hostId,
          reset,
          goldenResetCount,
          boot
              + " not adopted: they match no administrator-approved "
              + String.join(", ", unmatched.stream().map(FlavorPart::name).toList())
              + " flavor"
              + changeText,
          now,
          change(goldenResetCount, reset, false, changed));
    }
    List<Flavor> made = new ArrayList<>();
    for (Flavor f : factory.fromHost(evidence, template, parts)) {
      made.add(withBaselineEvents(f, evidence));
    }
    return decision(
        Action.ADOPTED,
        made,
        hostId,
        reset,
        goldenResetCount,
        boot + " adopted as golden (TOFU)" + changeText,
        now,
        change(goldenResetCount, reset, true, changed));
  }

  private static Optional<BaselineChange> change(
      OptionalLong previous, long reset, boolean adopted, List<BaselineChange.PcrChange> changed) {
    return changed.isEmpty()
        ? Optional.empty()
        : Optional.of(new BaselineChange(previous, reset, adopted, changed));
  }

  /**
   * The registers the baseline's flavors pin ({@code pcr_matches}) whose quoted value now differs,
   * with the events added and removed when both boots' verified logs are known.
   */
  static List<BaselineChange.PcrChange> changes(List<Flavor> baseline, HostEvidence evidence) {
    List<BaselineChange.PcrChange> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Flavor f : baseline) {
      for (PcrRule r : f.pcrs()) {
        String key = Banks.name(r.bank()) + "/" + r.index();
        if (!r.pcrMatches() || !seen.add(key)) {
          continue;
        }
        String after = evidence.pcrs().get(r.bank(), r.index()).map(Hex::encode).orElse("");
        if (after.equalsIgnoreCase(r.measurement())) {
          continue;
        }
        Optional<List<FlavorEvent>> before = baselineEvents(f, r.bank(), r.index());
        Optional<List<FlavorEvent>> now =
            evidence.eventLogVerified()
                ? Optional.of(evidence.eventsOf(r.bank(), r.index()).orElse(List.of()))
                : Optional.empty();
        boolean known = before.isPresent() && now.isPresent();
        out.add(
            new BaselineChange.PcrChange(
                Banks.name(r.bank()),
                r.index(),
                r.measurement(),
                after.toLowerCase(java.util.Locale.ROOT),
                known,
                known ? subtract(now.get(), before.get()) : List.of(),
                known ? subtract(before.get(), now.get()) : List.of()));
      }
    }
    out.sort(
        java.util.Comparator.comparing(BaselineChange.PcrChange::bank)
            .thenComparingInt(BaselineChange.PcrChange::index));
    return out;
  }

  private static List<FlavorEvent> subtract(List<FlavorEvent> a, List<FlavorEvent> b) {
    Set<String> digests = new HashSet<>();
    b.forEach(e -> digests.add(e.measurement()));
    return a.stream().filter(e -> !digests.contains(e.measurement())).toList();
  }

  /** A golden flavor that also keeps the verified events of each register it pins. */
  private static Flavor withBaselineEvents(Flavor f, HostEvidence evidence) {
    if (!evidence.eventLogVerified()) {
      return f;
    }
    ObjectNode d = f.meta().description();
    ArrayNode regs = d.putArray(BASELINE_EVENTS);
    for (PcrRule r : f.pcrs()) {
      ObjectNode reg = regs.addObject().put("bank", Banks.name(r.bank())).put("pcr", r.index());
      ArrayNode events = reg.putArray("events");
      for (FlavorEvent e : evidence.eventsOf(r.bank(), r.index()).orElse(List.of())) {
        ObjectNode o = events.addObject();
        o.put("type_id", e.typeId()).put("type", e.typeName()).put("digest", e.measurement());
        e.tags().forEach(o.putArray("tags")::add);
      }
    }
    FlavorMeta m = f.meta();
    return new Flavor(
        new FlavorMeta(m.id(), m.part(), m.label(), m.vendor(), d, m.schemaUri()),
        f.pcrs(),
        f.ima(),
        f.sections());
  }

  /** The events a golden flavor kept for one register, when it kept them. */
  private static Optional<List<FlavorEvent>> baselineEvents(Flavor f, HashAlg bank, int pcr) {
    JsonNode regs = f.meta().description().get(BASELINE_EVENTS);
    if (regs == null || !regs.isArray()) {
      return Optional.empty();
    }
    for (JsonNode reg : regs) {
      if (reg.path("bank").asText().equals(Banks.name(bank)) && reg.path("pcr").asInt(-1) == pcr) {
        List<FlavorEvent> out = new ArrayList<>();
        for (JsonNode e : reg.path("events")) {
          List<String> tags = new ArrayList<>();
          e.path("tags").forEach(t -> tags.add(t.asText()));
          out.add(
              new FlavorEvent(
                  e.path("type_id").asLong(),
                  e.path("type").asText(),
                  tags,
                  e.path("digest").asText()));
        }
        return Optional.of(out);
      }
    }
    return Optional.empty();
  }

  private Decision decision(
      Action action,
      List<Flavor> made,
      String hostId,
      long reset,
      OptionalLong previous,
      String reason,
      Instant at,
      Optional<BaselineChange> change) {
    List<UUID> ids = made.stream().map(f -> f.meta().id()).toList();
    return new Decision(
        action,
        made,
        new AuditRecord(hostId, reset, previous, mode, action, ids, reason, at),
        change);
  }
}
