package dev.vouch.policy.flavor;

import static dev.vouch.policy.flavor.Synthetic.B;
import static dev.vouch.policy.flavor.Synthetic.DB;
import static dev.vouch.policy.flavor.Synthetic.INITRD;
import static dev.vouch.policy.flavor.Synthetic.SB;
import static dev.vouch.policy.flavor.Synthetic.SEP;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.crypto.HashAlg;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The PCR, event-log and IMA rules and their ISecL faults. */
class FlavorRulesTest {
  private static final FlavorMatcher MATCHER = FlavorMatcher.withoutSignatureChecks();
  private static final FlavorEvent ROGUE =
      new FlavorEvent(
          0x80000001L, "EV_EFI_VARIABLE_DRIVER_CONFIG", List.of("dbx"), "0f".repeat(32));

  private static List<String> faults(PcrRule rule, HostEvidence host) {
    return MATCHER
        .evaluate(SignedFlavor.unsigned(Synthetic.flavor(FlavorPart.PLATFORM, 1, rule)), host)
        .faults()
        .stream()
        .map(Fault::name)
        .toList();
  }

  private static PcrRule equals(List<FlavorEvent> events, List<String> exclude) {
    return new PcrRule(
        7,
        HashAlg.SHA256,
        B,
        false,
        Optional.of(new PcrRule.EventLogEquals(events, exclude)),
        Optional.empty());
  }

  private static PcrRule includes(List<FlavorEvent> events) {
    return new PcrRule(7, HashAlg.SHA256, B, false, Optional.empty(), Optional.of(events));
  }

  @Test
  void anExactEventListPassesEventLogEquals() {
    assertThat(faults(equals(List.of(SB, DB, SEP, INITRD), List.of()), Synthetic.host())).isEmpty();
  }

  @Test
  void eventLogEqualsNamesUnexpectedAndMissingEntries() {
    FlavorResult r =
        MATCHER.evaluate(
            SignedFlavor.unsigned(
                Synthetic.flavor(
                    FlavorPart.PLATFORM, 1, equals(List.of(SB, DB, ROGUE), List.of()))),
            Synthetic.host());
    assertThat(r.faults())
        .extracting(Fault::name)
        .containsExactly(
            Fault.PCR_EVENT_LOG_CONTAINS_UNEXPECTED_ENTRIES,
            Fault.PCR_EVENT_LOG_MISSING_EXPECTED_ENTRIES);
    assertThat(r.faults().get(0).entries()).containsExactly(SEP, INITRD);
    assertThat(r.faults().get(1).entries()).containsExactly(ROGUE);
    assertThat(r.rules().get(0).ruleName()).isEqualTo(FlavorRuleResult.PCR_EVENT_LOG_EQUALS);
  }

  @Test
  void excludedTagsAreLeftOutOfTheComparison() {
    PcrRule rule = equals(List.of(SB, DB, SEP), List.of("initrd"));
    assertThat(faults(rule, Synthetic.host())).isEmpty();
    FlavorResult r =
        MATCHER.evaluate(
            SignedFlavor.unsigned(Synthetic.flavor(FlavorPart.PLATFORM, 1, rule)),
            Synthetic.host());
    assertThat(r.rules().get(0).ruleName())
        .isEqualTo(FlavorRuleResult.PCR_EVENT_LOG_EQUALS_EXCLUDING);
  }

  @Test
  void eventLogIncludesNeedsOnlyItsEvents() {
    assertThat(faults(includes(List.of(DB)), Synthetic.host())).isEmpty();
    assertThat(faults(includes(List.of(DB, ROGUE)), Synthetic.host()))
        .containsExactly(Fault.PCR_EVENT_LOG_MISSING_EXPECTED_ENTRIES);
  }

  @Test
  void aPcrWithoutEventsOrValueFaultsAsMissing() {
    PcrRule noLog =
        new PcrRule(3, HashAlg.SHA256, B, true, Optional.empty(), Optional.of(List.of(DB)));
    // PcrEventLogIncludes and PcrEventLogIntegrity each find no log, as in ISecL
    assertThat(faults(noLog, Synthetic.host()))
        .containsExactly(
            Fault.PCR_VALUE_MISSING, Fault.PCR_EVENT_LOG_MISSING, Fault.PCR_EVENT_LOG_MISSING);
    PcrRule sha1 = new PcrRule(0, HashAlg.SHA1, B, true, Optional.empty(), Optional.empty());
    assertThat(faults(sha1, Synthetic.host())).containsExactly(Fault.PCR_VALUE_MISSING);
  }

  @Test
  void eventRulesOnAnUnreplayedLogFailIntegrity() {
    HostEvidence h = Synthetic.host();
    HostEvidence unreplayed =
        new HostEvidence(
            h.host(),
            h.pcrs(),
            h.events(),
            false,
            h.secureBoot(),
            OptionalLong.empty(),
            Optional.empty());
    assertThat(faults(includes(List.of(DB)), unreplayed))
        .containsExactly(Fault.PCR_EVENT_LOG_INVALID);
  }

  @Test
  void imaFlavorsNameUnexpectedMismatchedAndMissingFiles() {
    Flavor ima =
        new Flavor(
            Synthetic.flavor(FlavorPart.IMA, 9).meta(),
            List.of(),
            Optional.of(
                List.of(
                    new ImaMeasurement("boot_aggregate", "00".repeat(32)),
                    new ImaMeasurement("/usr/bin/a", "11".repeat(32)),
                    new ImaMeasurement("/usr/bin/b", "22".repeat(32)))),
            Map.of());
    HostEvidence ok =
        Synthetic.host()
            .withIma(
                List.of(
                    new ImaMeasurement("boot_aggregate", "00".repeat(32)),
                    new ImaMeasurement("/usr/bin/a", "11".repeat(32)),
                    new ImaMeasurement("/usr/bin/b", "22".repeat(32))));
    assertThat(MATCHER.evaluate(SignedFlavor.unsigned(ima), ok).trusted()).isTrue();
    HostEvidence changed =
        Synthetic.host()
            .withIma(
                List.of(
                    new ImaMeasurement("boot_aggregate", "00".repeat(32)),
                    new ImaMeasurement("/usr/bin/a", "33".repeat(32)),
                    new ImaMeasurement("/tmp/evil", "44".repeat(32))));
    FlavorResult r = MATCHER.evaluate(SignedFlavor.unsigned(ima), changed);
    assertThat(r.faults())
        .extracting(Fault::name)
        .containsExactly(
            Fault.IMA_EVENT_LOG_CONTAINS_UNEXPECTED_ENTRIES,
            Fault.IMA_EVENT_LOG_MISMATCHED_ENTRIES,
            Fault.IMA_EVENT_LOG_MISSING_EXPECTED_ENTRIES);
    assertThat(r.faults().get(0).entries().get(0).tags()).containsExactly("/tmp/evil");
    assertThat(MATCHER.evaluate(SignedFlavor.unsigned(ima), Synthetic.host()).faults())
        .extracting(Fault::name)
        .containsExactly(Fault.IMA_EVENT_LOG_MISSING);
  }
}
