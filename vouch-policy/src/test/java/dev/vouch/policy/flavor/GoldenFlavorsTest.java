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
}
