package dev.vouch.policy.flavor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Trust on first use per boot versus administrator-approved flavors only. */
class GoldenFlavorsTest {
  private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  private static FlavorTemplate template() throws Exception {
    String json =
        """
        {"label": "lab", "condition": ["tpm.version == '2.0'"],
         "flavor_parts": {
           "PLATFORM": {"pcr_rules": [{"pcr": {"index": 0, "bank": ["SHA256"]}, "pcr_matches": true}]},
           "HOST_UNIQUE": {"pcr_rules": [{"pcr": {"index": 7, "bank": ["SHA256"]}, "eventlog_includes": ["initrd"]}]},
           "OS": {"pcr_rules": [{"pcr": {"index": 7, "bank": ["SHA256"]}, "pcr_matches": true}]}}}
        """;
    return FlavorTemplate.parse(json.getBytes(java.nio.charset.StandardCharsets.UTF_8), true);
  }

  private static GoldenFlavors golden(GoldenFlavors.Mode mode) throws Exception {
    return new GoldenFlavors(
        mode,
        new FlavorFactory(UUID::randomUUID, CLOCK),
        template(),
        EnumSet.of(FlavorPart.PLATFORM, FlavorPart.HOST_UNIQUE),
        CLOCK);
  }

  /** The same host after a reboot into other firmware: new PCR 0, reset count 6. */
  private static HostEvidence rebooted() {
    return Synthetic.host()
        .withPcrs(
            PcrValues.builder()
                .put(HashAlg.SHA256, 0, Hex.decode("cc".repeat(32)))
                .put(HashAlg.SHA256, 7, Hex.decode(Synthetic.B))
                .build())
        .withResetCount(6);
  }

  @Test
  void tofuAdoptsTheFirstMeasurementsAndKeepsThemWithinTheBoot() throws Exception {
    GoldenFlavors g = golden(GoldenFlavors.Mode.TOFU);
    GoldenFlavors.Decision first = g.decide("h1", Synthetic.host(), OptionalLong.empty());
    assertThat(first.action()).isEqualTo(GoldenFlavors.Action.ADOPTED);
    assertThat(first.adopted())
        .extracting(Flavor::part)
        .containsExactly(FlavorPart.PLATFORM, FlavorPart.HOST_UNIQUE);
    assertThat(first.adopted().get(1).meta().describe("hardware_uuid"))
        .contains(Synthetic.UUID_HOST);
    assertThat(first.audit().flavorIds()).hasSize(2);
    assertThat(first.audit().resetCount()).isEqualTo(5);
    assertThat(first.audit().at()).isEqualTo(NOW);
    assertThat(first.audit().reason()).contains("first measurements of the host");

    GoldenFlavors.Decision again = g.decide("h1", Synthetic.host(), OptionalLong.of(5));
    assertThat(again.action()).isEqualTo(GoldenFlavors.Action.KEPT);
    assertThat(again.adopted()).isEmpty();
    assertThat(again.audit().flavorIds()).isEmpty();
  }

  @Test
  void tofuAdoptsTheFirstMeasurementsAfterAReboot() throws Exception {
    GoldenFlavors g = golden(GoldenFlavors.Mode.TOFU);
    List<SignedFlavor> before =
        g.decide("h1", Synthetic.host(), OptionalLong.empty()).adopted().stream()
            .map(SignedFlavor::unsigned)
            .toList();
    FlavorGroup group = FlavorGroup.automatic();
    FlavorMatcher m = FlavorMatcher.withoutSignatureChecks();
    // without new golden flavors the rebooted host fails on PCR 0
    assertThat(m.match(group, before, rebooted()).parts().get(FlavorPart.PLATFORM).trusted())
        .isFalse();

    GoldenFlavors.Decision d = g.decide("h1", rebooted(), OptionalLong.of(5));
    assertThat(d.action()).isEqualTo(GoldenFlavors.Action.ADOPTED);
    assertThat(d.audit().previousResetCount()).hasValue(5);
    assertThat(d.audit().resetCount()).isEqualTo(6);
    assertThat(d.audit().reason()).contains("after a reboot (reset count 5 -> 6)");
    List<SignedFlavor> after = d.adopted().stream().map(SignedFlavor::unsigned).toList();
    assertThat(m.match(group, after, rebooted()).parts().get(FlavorPart.PLATFORM).trusted())
        .isTrue();
  }

  @Test
  void strictModeNeverAdoptsMeasurementsAndAuditsTheRefusal() throws Exception {
    GoldenFlavors g = golden(GoldenFlavors.Mode.STRICT);
    GoldenFlavors.Decision d = g.decide("h1", rebooted(), OptionalLong.of(5));
    assertThat(d.action()).isEqualTo(GoldenFlavors.Action.REFUSED);
    assertThat(d.adopted()).isEmpty();
    assertThat(d.audit().mode()).isEqualTo(GoldenFlavors.Mode.STRICT);
    assertThat(d.audit().reason()).contains("strict mode");
    assertThat(g.decide("h1", Synthetic.host(), OptionalLong.empty()).action())
        .isEqualTo(GoldenFlavors.Action.REFUSED);
    assertThat(g.decide("h1", rebooted(), OptionalLong.of(6)).action())
        .isEqualTo(GoldenFlavors.Action.KEPT);
  }

  @Test
  void evidenceWithoutAResetCountCannotBeDecided() throws Exception {
    HostEvidence h = Synthetic.host();
    HostEvidence noReset =
        new HostEvidence(
            h.host(),
            h.pcrs(),
            h.events(),
            true,
            h.secureBoot(),
            OptionalLong.empty(),
            Optional.empty());
    assertThatThrownBy(
            () -> golden(GoldenFlavors.Mode.TOFU).decide("h1", noReset, OptionalLong.empty()))
        .isInstanceOfSatisfying(
            VerificationException.class, e -> assertThat(e.failure()).isEqualTo(Failure.MALFORMED));
  }

  private static final FlavorEvent POST_CODE =
      new FlavorEvent(1, "EV_POST_CODE", List.of(), "0a".repeat(32));
  private static final FlavorEvent CONFIG_FLAGS =
      new FlavorEvent(0xa, "EV_PLATFORM_CONFIG_FLAGS", List.of(), "0b".repeat(32));

  /** A host whose PCR 0 is {@code pcr0} with these verified PCR 0 events, at {@code reset}. */
  private static HostEvidence withPcr0(String pcr0, List<FlavorEvent> events, long reset) {
    HostEvidence h = Synthetic.host();
    return new HostEvidence(
        h.host(),
        PcrValues.builder()
            .put(HashAlg.SHA256, 0, Hex.decode(pcr0))
            .put(HashAlg.SHA256, 7, Hex.decode(Synthetic.B))
            .build(),
        java.util.Map.of(
            HashAlg.SHA256,
            java.util.Map.of(
                0,
                events,
                7,
                List.of(Synthetic.SB, Synthetic.DB, Synthetic.SEP, Synthetic.INITRD))),
        true,
        Optional.of(true),
        OptionalLong.of(reset),
        Optional.empty());
  }

  @Test
  void aRebootIntoChangedFirmwareNamesTheChangedRegisterAndItsNewEvent() throws Exception {
    GoldenFlavors g = golden(GoldenFlavors.Mode.TOFU);
    GoldenFlavors.Decision first =
        g.decide("h1", withPcr0(Synthetic.A, List.of(POST_CODE), 5), OptionalLong.empty());
    assertThat(first.change()).isEmpty();

    String changedPcr0 = "cc".repeat(32);
    GoldenFlavors.Decision d =
        g.decide(
            "h1",
            withPcr0(changedPcr0, List.of(POST_CODE, CONFIG_FLAGS), 6),
            OptionalLong.of(5),
            first.adopted(),
            java.util.Map.of());
    assertThat(d.action()).isEqualTo(GoldenFlavors.Action.ADOPTED);
    BaselineChange c = d.change().orElseThrow();
    assertThat(c.adopted()).isTrue();
    assertThat(c.previousResetCount()).hasValue(5);
    assertThat(c.resetCount()).isEqualTo(6);
    // only PLATFORM pins a value (PCR 0); HOST_UNIQUE's PCR 7 rule compares events only
    assertThat(c.pcrs())
        .containsExactly(
            new BaselineChange.PcrChange(
                "SHA256", 0, Synthetic.A, changedPcr0, true, List.of(CONFIG_FLAGS), List.of()));
    assertThat(d.audit().reason())
        .contains(
            "baseline changed: SHA256 PCR 0 (1 event added, EV_PLATFORM_CONFIG_FLAGS " + "0b");

    // the same firmware again after another reboot: adopted, and nothing changed
    GoldenFlavors.Decision same =
        g.decide(
            "h1",
            withPcr0(changedPcr0, List.of(POST_CODE, CONFIG_FLAGS), 7),
            OptionalLong.of(6),
            d.adopted(),
            java.util.Map.of());
    assertThat(same.action()).isEqualTo(GoldenFlavors.Action.ADOPTED);
    assertThat(same.change()).isEmpty();
  }

  @Test
  void approvedFlavorsOfAPartLetTofuAdoptOnlyMeasurementsTheyMatch() throws Exception {
    GoldenFlavors g = golden(GoldenFlavors.Mode.TOFU);
    java.util.Map<FlavorPart, List<SignedFlavor>> approved =
        java.util.Map.of(FlavorPart.PLATFORM, List.of(Synthetic.good(FlavorPart.PLATFORM, 1)));
    GoldenFlavors.Decision first =
        g.decide(
            "h1",
            withPcr0(Synthetic.A, List.of(POST_CODE), 5),
            OptionalLong.empty(),
            List.of(),
            approved);
    assertThat(first.action()).isEqualTo(GoldenFlavors.Action.ADOPTED);

    GoldenFlavors.Decision tampered =
        g.decide(
            "h1",
            withPcr0("cc".repeat(32), List.of(POST_CODE, CONFIG_FLAGS), 6),
            OptionalLong.of(5),
            first.adopted(),
            approved);
    assertThat(tampered.action()).isEqualTo(GoldenFlavors.Action.REFUSED);
    assertThat(tampered.adopted()).isEmpty();
    assertThat(tampered.audit().flavorIds()).isEmpty();
    assertThat(tampered.audit().reason()).contains("match no administrator-approved PLATFORM");
    assertThat(tampered.change().orElseThrow().adopted()).isFalse();
    assertThat(tampered.change().orElseThrow().pcrs())
        .extracting(BaselineChange.PcrChange::index)
        .containsExactly(0);

    // approved flavors of another part constrain nothing here
    GoldenFlavors.Decision other =
        g.decide(
            "h1",
            withPcr0("cc".repeat(32), List.of(POST_CODE, CONFIG_FLAGS), 6),
            OptionalLong.of(5),
            first.adopted(),
            java.util.Map.of(FlavorPart.OS, List.of(Synthetic.good(FlavorPart.OS, 2))));
    assertThat(other.action()).isEqualTo(GoldenFlavors.Action.ADOPTED);
  }
}
