package dev.vouch.policy.flavor;

import dev.vouch.core.crypto.HashAlg;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What a flavor expects of one PCR in one bank (ISecL {@code FlavorPcrs}).
 *
 * @param index the register, 0..23
 * @param bank the bank
 * @param measurement the expected value, lower-case hex
 * @param pcrMatches the register must equal {@code measurement} (rule {@code PcrMatchesConstant})
 * @param eventlogEquals the register's events must be exactly these, apart from events carrying an
 *     excluded tag (rules {@code PcrEventLogEquals} / {@code PcrEventLogEqualsExcluding})
 * @param eventlogIncludes the register's events must include these (rule {@code
 *     PcrEventLogIncludes}); empty when the flavor does not ask
 */
public record PcrRule(
    int index,
    HashAlg bank,
    String measurement,
    boolean pcrMatches,
    Optional<EventLogEquals> eventlogEquals,
    Optional<List<FlavorEvent>> eventlogIncludes) {

  public PcrRule {
    Objects.requireNonNull(bank, "bank");
    measurement = measurement.toLowerCase(Locale.ROOT);
    Objects.requireNonNull(eventlogEquals, "eventlogEquals");
    eventlogIncludes = eventlogIncludes.map(List::copyOf);
  }

  /**
   * The exact event list of an {@code eventlog_equals} rule.
   *
   * @param events the expected events
   * @param excludeTags events carrying any of these tags are left out of the comparison on both
   *     sides
   * @param excludeTypes events of these types (names such as {@code EV_EVENT_TAG}, or numbers) are
   *     left out of the comparison on both sides: their digests may change between boots without
   *     failing the rule ({@code exclude_types}, a Vouch addition to ISecL's JSON)
   */
  public record EventLogEquals(
      List<FlavorEvent> events, List<String> excludeTags, List<String> excludeTypes) {
    public EventLogEquals {
      events = List.copyOf(events);
      excludeTags = List.copyOf(excludeTags);
      excludeTypes = List.copyOf(excludeTypes);
    }

    /** A rule that excludes by tag only, as ISecL's. */
    public EventLogEquals(List<FlavorEvent> events, List<String> excludeTags) {
      this(events, excludeTags, List.of());
    }

    /** True when the event takes part in the comparison. */
    public boolean compares(FlavorEvent e) {
      return !e.hasAnyTag(excludeTags) && !e.hasAnyType(excludeTypes);
    }

    /** True when the rule leaves some events out. */
    public boolean excludes() {
      return !excludeTags.isEmpty() || !excludeTypes.isEmpty();
    }
  }
}
