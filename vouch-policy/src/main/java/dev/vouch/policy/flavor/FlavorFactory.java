package dev.vouch.policy.flavor;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Creates flavors from a host's verified evidence, one per requested part, as its template says
 * (ISecL's "create flavor from a connected host"). The flavors are unsigned: sign them with {@link
 * FlavorSigner}.
 */
public final class FlavorFactory {
  private final Supplier<UUID> ids;
  private final Clock clock;

  public FlavorFactory(Supplier<UUID> ids, Clock clock) {
    this.ids = ids;
    this.clock = clock;
  }

  /** Random ids, the system clock. */
  public static FlavorFactory standard() {
    return new FlavorFactory(UUID::randomUUID, Clock.systemUTC());
  }

  /** Every part the template defines. */
  public List<Flavor> fromHost(HostEvidence evidence, FlavorTemplate template)
      throws VerificationException {
    return fromHost(evidence, template, EnumSet.allOf(FlavorPart.class));
  }

  /**
   * The requested parts that the template defines, built from the evidence.
   *
   * @throws VerificationException POLICY_DENIED when the template's conditions do not hold for the
   *     host, PCR_VALUES_MISSING when a rule's PCR is in none of its banks in the quote, or an IMA
   *     part is asked for without IMA measurements
   */
  public List<Flavor> fromHost(
      HostEvidence evidence, FlavorTemplate template, Set<FlavorPart> parts)
      throws VerificationException {
    if (!template.appliesTo(evidence.host())) {
      throw new VerificationException(
          Failure.POLICY_DENIED,
          "template " + template.label() + " does not apply to host " + evidence.host().hostName());
    }
    List<Flavor> out = new ArrayList<>();
    for (FlavorPart part : FlavorPart.values()) {
      FlavorTemplate.PartTemplate pt = template.parts().get(part);
      if (pt == null || !parts.contains(part)) {
        continue;
      }
      List<PcrRule> rules = new ArrayList<>();
      for (FlavorTemplate.PcrRuleTemplate r : pt.rules()) {
        rules.add(rule(evidence, r));
      }
      Optional<List<ImaMeasurement>> ima = Optional.empty();
      if (part == FlavorPart.IMA) {
        ima =
            Optional.of(
                evidence
                    .ima()
                    .orElseThrow(
                        () ->
                            new VerificationException(
                                Failure.PCR_VALUES_MISSING,
                                "an IMA flavor needs the host's IMA measurements")));
      }
      out.add(new Flavor(meta(evidence, template, part, pt, rules), rules, ima, Map.of()));
    }
    return out;
  }

  private static PcrRule rule(HostEvidence e, FlavorTemplate.PcrRuleTemplate r)
      throws VerificationException {
    for (HashAlg bank : r.banks()) {
      Optional<byte[]> value = e.pcrs().get(bank, r.index());
      if (value.isEmpty()) {
        continue;
      }
      // event lists come only from a verified log that has this PCR in this bank: a flavor made
      // from a host without one keeps its PCR values and makes no event rule it could never pass
      Optional<List<FlavorEvent>> logged =
          e.eventLogVerified() ? e.eventsOf(bank, r.index()) : Optional.empty();
      List<FlavorEvent> events = logged.orElse(List.of());
      Optional<PcrRule.EventLogEquals> equals =
          r.eventlogEquals()
              .filter(x -> logged.isPresent())
              .map(
                  ex ->
                      new PcrRule.EventLogEquals(
                          events.stream()
                              .filter(ev -> !ev.hasAnyTag(ex) && !ev.hasAnyType(r.excludingTypes()))
                              .map(FlavorFactory::asFlavorEvent)
                              .toList(),
                          ex,
                          r.excludingTypes()));
      Optional<List<FlavorEvent>> includes =
          r.eventlogIncludes()
              .filter(x -> logged.isPresent())
              .map(
                  tags ->
                      events.stream()
                          .filter(ev -> ev.hasAnyTag(tags))
                          .map(FlavorFactory::asFlavorEvent)
                          .toList());
      if (!r.pcrMatches() && equals.isEmpty() && includes.isEmpty()) {
        // a rule that pins neither the value nor events would pass any host: refuse to make it
        throw new VerificationException(
            Failure.PCR_VALUES_MISSING,
            Banks.name(bank)
                + " PCR "
                + r.index()
                + " has no verified events on this host"
                + (r.index() == 15 ? " (its agent measured no software manifest)" : ""));
      }
      return new PcrRule(
          r.index(), bank, Hex.encode(value.get()), r.pcrMatches(), equals, includes);
    }
    throw new VerificationException(
        Failure.PCR_VALUES_MISSING,
        "the quote covers PCR " + r.index() + " in none of the banks " + r.banks());
  }

  /**
   * A host event as a flavor keeps it, in ISecL's shape: type, tags and digest. The log position
   * and description belong to one boot of one host and are not part of the baseline.
   */
  private static FlavorEvent asFlavorEvent(FlavorEvent e) {
    return new FlavorEvent(e.typeId(), e.typeName(), e.tags(), e.measurement());
  }

  private FlavorMeta meta(
      HostEvidence e,
      FlavorTemplate t,
      FlavorPart part,
      FlavorTemplate.PartTemplate pt,
      List<PcrRule> rules) {
    HostFacts h = e.host();
    ObjectNode d = pt.meta();
    String created = clock.instant().toString();
    String label =
        switch (part) {
          case PLATFORM -> "VOUCH_" + h.biosName() + "_" + h.biosVersion() + "_" + created;
          case OS -> "VOUCH_" + h.osName() + "_" + h.osVersion() + "_" + created;
          default -> "VOUCH_" + part + "_" + h.hostName() + "_" + created;
        };
    d.put("flavor_part", part.name());
    d.put("label", label);
    d.put("source", h.hostName());
    d.put("tpm_version", h.tpmVersion());
    if (part == FlavorPart.PLATFORM || part == FlavorPart.HOST_UNIQUE) {
      d.put("bios_name", h.biosName());
      d.put("bios_version", h.biosVersion());
    }
    if (part != FlavorPart.PLATFORM) {
      d.put("os_name", h.osName());
      d.put("os_version", h.osVersion());
    }
    if (part == FlavorPart.HOST_UNIQUE || part == FlavorPart.ASSET_TAG) {
      d.put("hardware_uuid", h.hardwareUuid());
    }
    if (part == FlavorPart.IMA && !rules.isEmpty()) {
      d.put("digest_algorithm", Banks.name(rules.get(0).bank()));
    }
    if (!t.id().isEmpty()) {
      d.putArray("flavor_template_ids").add(t.id());
    }
    e.resetCount().ifPresent(c -> d.put("tpm_reset_count", c));
    d.put("created", created);
    return new FlavorMeta(ids.get(), part, label, "VOUCH", d, Optional.empty());
  }
}
