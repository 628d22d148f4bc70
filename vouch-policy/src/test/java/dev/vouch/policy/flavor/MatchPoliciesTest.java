package dev.vouch.policy.flavor;

import static dev.vouch.policy.flavor.MatchPolicy.MatchType.ALL_OF;
import static dev.vouch.policy.flavor.MatchPolicy.MatchType.ANY_OF;
import static dev.vouch.policy.flavor.MatchPolicy.MatchType.LATEST;
import static dev.vouch.policy.flavor.MatchPolicy.Required.REQUIRED;
import static dev.vouch.policy.flavor.MatchPolicy.Required.REQUIRED_IF_DEFINED;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every ISecL match type with every requirement level, over small synthetic OS flavors. */
class MatchPoliciesTest {
  private static final FlavorMatcher MATCHER = FlavorMatcher.withoutSignatureChecks();

  /** Expected OS verdict: "trusted", "untrusted", or "absent" (the part is not judged). */
  static Stream<Arguments> cases() {
    return Stream.of(
        // ANY_OF: one good flavor suffices
        Arguments.of(ANY_OF, REQUIRED, List.of(bad(2), good(3)), "trusted", List.of()),
        Arguments.of(
            ANY_OF,
            REQUIRED,
            List.of(bad(2), bad(3)),
            "untrusted",
            List.of("PcrValueMismatchSHA256", "PcrValueMismatchSHA256")),
        Arguments.of(
            ANY_OF, REQUIRED, List.of(), "untrusted", List.of(Fault.REQUIRED_FLAVOR_TYPE_MISSING)),
        Arguments.of(ANY_OF, REQUIRED_IF_DEFINED, List.of(bad(2), good(3)), "trusted", List.of()),
        Arguments.of(
            ANY_OF,
            REQUIRED_IF_DEFINED,
            List.of(bad(2)),
            "untrusted",
            List.of("PcrValueMismatchSHA256")),
        Arguments.of(ANY_OF, REQUIRED_IF_DEFINED, List.of(), "absent", List.of()),
        // ALL_OF: every flavor must match
        Arguments.of(ALL_OF, REQUIRED, List.of(good(2), good(3)), "trusted", List.of()),
        Arguments.of(
            ALL_OF,
            REQUIRED,
            List.of(good(2), bad(3)),
            "untrusted",
            List.of("PcrValueMismatchSHA256", Fault.ALL_OF_FLAVORS_MISSING)),
        Arguments.of(
            ALL_OF, REQUIRED, List.of(), "untrusted", List.of(Fault.REQUIRED_FLAVOR_TYPE_MISSING)),
        Arguments.of(ALL_OF, REQUIRED_IF_DEFINED, List.of(good(2), good(3)), "trusted", List.of()),
        Arguments.of(
            ALL_OF,
            REQUIRED_IF_DEFINED,
            List.of(bad(2), good(3)),
            "untrusted",
            List.of("PcrValueMismatchSHA256", Fault.ALL_OF_FLAVORS_MISSING)),
        Arguments.of(ALL_OF, REQUIRED_IF_DEFINED, List.of(), "absent", List.of()),
        // LATEST: only the newest (last) flavor counts
        Arguments.of(LATEST, REQUIRED, List.of(bad(2), good(3)), "trusted", List.of()),
        Arguments.of(
            LATEST,
            REQUIRED,
            List.of(good(2), bad(3)),
            "untrusted",
            List.of("PcrValueMismatchSHA256")),
        Arguments.of(
            LATEST, REQUIRED, List.of(), "untrusted", List.of(Fault.REQUIRED_FLAVOR_TYPE_MISSING)),
        Arguments.of(LATEST, REQUIRED_IF_DEFINED, List.of(bad(2), good(3)), "trusted", List.of()),
        Arguments.of(
            LATEST,
            REQUIRED_IF_DEFINED,
            List.of(good(2), bad(3)),
            "untrusted",
            List.of("PcrValueMismatchSHA256")),
        Arguments.of(LATEST, REQUIRED_IF_DEFINED, List.of(), "absent", List.of()));
  }

  @ParameterizedTest(name = "{0} {1} over {2} is {3}")
  @MethodSource("cases")
  void theOsPartIsJudgedAsIseclDefinesTheMatchPolicy(
      MatchPolicy.MatchType type,
      MatchPolicy.Required required,
      List<SignedFlavor> osFlavors,
      String verdict,
      List<String> faults) {
    FlavorGroup group =
        new FlavorGroup(
            "g",
            Map.of(
                FlavorPart.PLATFORM, new MatchPolicy(ANY_OF, REQUIRED),
                FlavorPart.OS, new MatchPolicy(type, required)));
    List<SignedFlavor> all =
        Stream.concat(Stream.of(Synthetic.good(FlavorPart.PLATFORM, 1)), osFlavors.stream())
            .toList();
    HostTrust trust = MATCHER.match(group, all, Synthetic.host());

    PartTrust os = trust.parts().get(FlavorPart.OS);
    if (verdict.equals("absent")) {
      assertThat(os).isNull();
      assertThat(trust.overall()).isTrue();
      assertThat(trust.status()).isEqualTo(HostStatus.VERIFIED);
      return;
    }
    assertThat(os.trusted()).isEqualTo(verdict.equals("trusted"));
    assertThat(os.rules().stream().flatMap(r -> r.faults().stream()).map(Fault::name).toList())
        .containsExactlyElementsOf(faults);
    assertThat(trust.overall()).isEqualTo(verdict.equals("trusted"));
    assertThat(trust.status())
        .isEqualTo(verdict.equals("trusted") ? HostStatus.VERIFIED : HostStatus.ATTESTATION_FAILED);
  }

  @Test
  void aGroupThatJudgesNothingIsNotTrusted() {
    HostTrust trust =
        MATCHER.match(
            new FlavorGroup(
                "g", Map.of(FlavorPart.OS, new MatchPolicy(ANY_OF, REQUIRED_IF_DEFINED))),
            List.of(),
            Synthetic.host());
    assertThat(trust.parts()).isEmpty();
    assertThat(trust.overall()).isFalse();
    assertThat(trust.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
  }

  @Test
  void hostUniqueFlavorsOfAnotherMachineAreNotLinkedToTheHost() {
    Flavor mine = Synthetic.flavor(FlavorPart.HOST_UNIQUE, 7, Synthetic.pcr0(Synthetic.B));
    var d = mine.meta().description();
    d.put("hardware_uuid", "99999999-0000-0000-0000-000000000000");
    Flavor other =
        new Flavor(
            new FlavorMeta(
                mine.meta().id(), mine.part(), "x", "VOUCH", d, java.util.Optional.empty()),
            mine.pcrs(),
            mine.ima(),
            Map.of());
    FlavorGroup group =
        new FlavorGroup(
            "g",
            Map.of(
                FlavorPart.PLATFORM, new MatchPolicy(ANY_OF, REQUIRED),
                FlavorPart.HOST_UNIQUE, new MatchPolicy(LATEST, REQUIRED_IF_DEFINED)));
    HostTrust trust =
        MATCHER.match(
            group,
            List.of(Synthetic.good(FlavorPart.PLATFORM, 1), SignedFlavor.unsigned(other)),
            Synthetic.host());
    assertThat(trust.parts()).doesNotContainKey(FlavorPart.HOST_UNIQUE);
    assertThat(trust.status()).isEqualTo(HostStatus.VERIFIED);
  }

  private static SignedFlavor good(long id) {
    return Synthetic.good(FlavorPart.OS, id);
  }

  private static SignedFlavor bad(long id) {
    return Synthetic.bad(FlavorPart.OS, id);
  }
}
