package dev.vouch.policy.flavor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Flavors made from real Google Compute Engine evidence (Container-Optimized OS 85, vTPM quotes,
 * firmware log) through the TPM verifier, then matched against the same and changed evidence.
 */
class GceFlavorFactoryTest {
  static HostEvidence evidence;
  static FlavorTemplate template;

  static final FlavorFactory FACTORY =
      new FlavorFactory(
          sequentialIds(), Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC));

  static java.util.function.Supplier<UUID> sequentialIds() {
    AtomicLong n = new AtomicLong();
    return () -> new UUID(0x766f756368L, n.incrementAndGet());
  }

  @BeforeAll
  static void verifyTheRealEvidence() throws Exception {
    GceVector gce = GceVector.verified();
    HostFacts facts =
        new HostFacts("gce-cos-85", "", "Container-Optimized OS", "85", "Google", "Google", "2.0");
    evidence = HostEvidence.fromVerified(gce.claims(), Optional.of(gce.log()), facts);
    template =
        FlavorTemplate.parse(Vectors.read("ca-data/open-edge/default-tc.json"), false)
            .withConditions(
                List.of(
                    TemplateCondition.compile(
                        "tpm.version == \"2.0\" && os.name in [\"Container-Optimized OS\", \"Ubuntu\"]")));
  }

  @Test
  void theVerifiedLogShowsSecureBootOnAndTheQuoteCoversSha256() {
    assertThat(evidence.secureBoot()).contains(true);
    assertThat(evidence.eventLogVerified()).isTrue();
    assertThat(evidence.pcrs().banks()).contains(HashAlg.SHA256, HashAlg.SHA384);
    assertThat(evidence.resetCount()).isPresent();
  }

  @Test
  void theTrustedComputeTemplateGivesPlatformAndOsFlavorsFromTheHost() throws Exception {
    List<Flavor> flavors = FACTORY.fromHost(evidence, template);
    assertThat(flavors)
        .extracting(Flavor::part)
        .containsExactly(FlavorPart.PLATFORM, FlavorPart.OS);
    Flavor platform = flavors.get(0);
    assertThat(platform.pcrs()).extracting(PcrRule::index).containsExactly(0, 7);
    // the template prefers SHA384, and the vTPM quoted that bank too
    assertThat(platform.pcrs()).allSatisfy(r -> assertThat(r.bank()).isEqualTo(HashAlg.SHA384));
    PcrRule pcr7 = platform.pcrs().get(1);
    assertThat(pcr7.eventlogEquals()).isPresent();
    assertThat(pcr7.eventlogEquals().get().events())
        .extracting(FlavorEvent::tags)
        .contains(List.of("SecureBoot"), List.of("PK"), List.of("db"));
    assertThat(platform.meta().describe("source")).contains("gce-cos-85");
    assertThat(platform.meta().describe("tpm_version")).contains("2.0");
    assertThat(flavors.get(1).pcrs()).extracting(PcrRule::index).containsExactly(8, 9);
  }

  @Test
  void flavorsMadeFromTheHostMatchTheSameEvidence() throws Exception {
    List<SignedFlavor> flavors =
        FACTORY.fromHost(evidence, template).stream().map(SignedFlavor::unsigned).toList();
    HostTrust trust =
        FlavorMatcher.withoutSignatureChecks().match(FlavorGroup.automatic(), flavors, evidence);
    assertThat(trust.status()).isEqualTo(HostStatus.VERIFIED);
    assertThat(trust.overall()).isTrue();
    assertThat(trust.parts().get(FlavorPart.PLATFORM).rules())
        .extracting(FlavorRuleResult::ruleName)
        .contains(
            FlavorRuleResult.PCR_MATCHES_CONSTANT,
            FlavorRuleResult.PCR_EVENT_LOG_EQUALS,
            FlavorRuleResult.PCR_EVENT_LOG_INTEGRITY);
  }

  @Test
  void aChangedPcrFailsWithPcrValueMismatch() throws Exception {
    List<SignedFlavor> flavors =
        FACTORY.fromHost(evidence, template).stream().map(SignedFlavor::unsigned).toList();
    PcrValues.Builder b = PcrValues.builder();
    for (HashAlg bank : evidence.pcrs().banks()) {
      for (int i : evidence.pcrs().indexes(bank)) {
        byte[] v = evidence.pcrs().get(bank, i).orElseThrow();
        if (bank == HashAlg.SHA384 && i == 0) {
          v = PcrValues.extend(bank, v, new byte[48]);
        }
        b.put(bank, i, v);
      }
    }
    HostTrust trust =
        FlavorMatcher.withoutSignatureChecks()
            .match(FlavorGroup.automatic(), flavors, evidence.withPcrs(b.build()));
    assertThat(trust.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
    assertThat(trust.detail()).isEqualTo("PLATFORM trust verification failed");
    List<Fault> faults = new ArrayList<>();
    trust.parts().get(FlavorPart.PLATFORM).rules().forEach(r -> faults.addAll(r.faults()));
    assertThat(faults)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.name()).isEqualTo("PcrValueMismatchSHA384");
              assertThat(f.is(Fault.PCR_VALUE_MISMATCH)).isTrue();
              assertThat(f.pcrIndex()).hasValue(0);
            });
    assertThat(trust.parts().get(FlavorPart.OS).trusted()).isTrue();
  }

  @Test
  void aTemplateWhoseConditionFailsMakesNoFlavor() throws Exception {
    FlavorTemplate ubuntuOnly =
        template.withConditions(List.of(TemplateCondition.compile("os.name == \"Ubuntu\"")));
    assertThat(ubuntuOnly.appliesTo(evidence.host())).isFalse();
    assertThatThrownBy(() -> FACTORY.fromHost(evidence, ubuntuOnly))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.POLICY_DENIED));
  }

  @Test
  void iseclXpathConditionsAreRefusedAsCel() {
    assertThatThrownBy(
            () -> FlavorTemplate.parse(Vectors.read("ca-data/open-edge/default-tc.json"), true))
        .isInstanceOfSatisfying(
            VerificationException.class, e -> assertThat(e.failure()).isEqualTo(Failure.MALFORMED));
    assertThatThrownBy(() -> TemplateCondition.compile("os.name"))
        .isInstanceOf(VerificationException.class);
  }

  @Test
  void theServerPathGivesTheSameEvidenceAsTheClaimsPath() throws Exception {
    byte[] bundle = Vectors.read("tpm/gce-cos-85-bundle.json");
    TcgEventLog log = TcgEventLog.parse(TpmEvidenceBundle.parse(bundle).eventLog().orElseThrow());
    HostEvidence viaServer =
        HostEvidence.of(
            evidence.host(),
            evidence.pcrs(),
            true,
            Optional.of(log),
            Optional.of(log.secureBoot()),
            evidence.resetCount().getAsLong());
    assertThat(viaServer).isEqualTo(evidence);
    // a log the server did not replay contributes neither events nor Secure Boot
    HostEvidence unreplayed =
        HostEvidence.of(
            evidence.host(),
            evidence.pcrs(),
            false,
            Optional.of(log),
            Optional.of(log.secureBoot()),
            evidence.resetCount().getAsLong());
    assertThat(unreplayed.events()).isEmpty();
    assertThat(unreplayed.secureBoot()).isEmpty();
  }

  @Test
  void claimsWithoutPcrsGiveNoEvidence() {
    assertThatThrownBy(
            () ->
                HostEvidence.fromVerified(
                    Claims.builder().put("tpm.secure_boot", true).build(),
                    Optional.empty(),
                    evidence.host()))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.PCR_VALUES_MISSING));
  }
}
