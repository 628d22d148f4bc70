package dev.vouch.policy.flavor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Claims;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmClaims;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Keylime's real firmware log of a VM booted with Secure Boot off: flavors taken from it match
 * perfectly, and the host is still SECURE_BOOT_DISABLED, because the base requirement comes from
 * the verified log and not from flavors or host facts.
 */
class SecureBootDisabledTest {

  @Test
  void aVerifiedLogWithSecureBootZeroGivesSecureBootDisabledWhateverTheFlavorsSay()
      throws Exception {
    TcgEventLog log =
        TcgEventLog.parse(Vectors.read("tpm-eventlog/keylime-binary_bios_measurements"));
    assertThat(log.secureBoot().secureBootEnabled()).contains(false);

    // the claims TpmEvidenceVerifier gives after the log replayed to the quoted PCRs
    PcrValues quoted = log.replay();
    Claims.Builder c = Claims.builder();
    quoted
        .toHexMap()
        .forEach(
            (bank, regs) ->
                regs.forEach((i, v) -> c.put(TpmClaims.PCR_PREFIX + bank + "." + i, v)));
    c.put(TpmClaims.EVENTLOG_VERIFIED, true);
    c.put(TpmClaims.SECURE_BOOT, false);
    c.put(TpmClaims.RESET_COUNT, 1);
    // the host claims Secure Boot in its facts; that must change nothing
    HostFacts facts = new HostFacts("kl", "", "Ubuntu", "22.04", "EDK II", "1.0", "2.0");
    HostEvidence evidence = HostEvidence.fromVerified(c.build(), Optional.of(log), facts);

    FlavorTemplate template =
        FlavorTemplate.parse(Vectors.read("ca-data/open-edge/default-tc.json"), false);
    List<SignedFlavor> flavors =
        FlavorFactory.standard().fromHost(evidence, template).stream()
            .map(SignedFlavor::unsigned)
            .toList();
    HostTrust trust =
        FlavorMatcher.withoutSignatureChecks().match(FlavorGroup.automatic(), flavors, evidence);

    // every flavor part matched, yet OVERALL is false: the base requirement is not met
    assertThat(trust.parts().values()).isNotEmpty().allMatch(PartTrust::trusted);
    assertThat(trust.overall()).isFalse();
    assertThat(trust.status()).isEqualTo(HostStatus.SECURE_BOOT_DISABLED);
    assertThat(trust.detail()).isEqualTo("SecureBoot Disabled");
  }

  @Test
  void evidenceWithoutAVerifiedLogIsNeverVerified() {
    HostEvidence h = Synthetic.host();
    HostEvidence noLog =
        new HostEvidence(
            h.host(),
            h.pcrs(),
            java.util.Map.of(),
            false,
            Optional.empty(),
            h.resetCount(),
            Optional.empty());
    HostTrust trust =
        FlavorMatcher.withoutSignatureChecks()
            .match(
                FlavorGroup.automatic(),
                List.of(Synthetic.good(FlavorPart.PLATFORM, 1), Synthetic.good(FlavorPart.OS, 2)),
                noLog);
    assertThat(trust.parts().values()).isNotEmpty().allMatch(PartTrust::trusted);
    assertThat(trust.overall()).isFalse();
    assertThat(trust.status()).isEqualTo(HostStatus.SECURE_BOOT_DISABLED);
    assertThat(trust.detail()).contains("not shown");
  }
}
