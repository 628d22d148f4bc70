package dev.vouch.server.as;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Tee;
import dev.vouch.policy.trustee.Ar4siPolicy;
import dev.vouch.policy.trustee.TrusteePolicies;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CEL translation of Trustee's default attestation policy reads the claim tree Vouch builds for
 * Trustee-shaped tokens ({@link TrusteeClaimTree}) by the names Trustee's Rego uses: Vouch's flat
 * claims in, Trustee's trust vector out, with Trustee's reference value names.
 */
class TrusteeDefaultPolicyOnVouchClaimsTest {
  private static final Ar4siPolicy POLICY = TrusteePolicies.earDefaultCpu();

  private static Map<String, Object> input(Tee tee, Map<String, Object> flat) {
    return Map.of(tee.wireName(), TrusteeClaimTree.of(tee, flat).orElseThrow());
  }

  private static Map<String, Object> snpClaims() {
    Map<String, Object> c = new HashMap<>();
    c.put("snp.measurement", "ab".repeat(48));
    c.put("snp.reported_tcb.bootloader", 3L);
    c.put("snp.reported_tcb.tee", 0L);
    c.put("snp.reported_tcb.snp", 20L);
    c.put("snp.reported_tcb.microcode", 209L);
    c.put("snp.policy.debug", false);
    c.put("snp.policy.migrate_ma", false);
    c.put("snp.policy.smt", true);
    c.put("snp.policy.single_socket", false);
    c.put("snp.policy.abi_major", 0L);
    c.put("snp.policy.abi_minor", 0L);
    c.put("snp.platform_info.smt", true);
    c.put("snp.platform_info.tsme", false);
    return c;
  }

  private static Map<String, Object> snpReference() {
    Map<String, Object> rv = new HashMap<>();
    rv.put("snp_launch_measurement", List.of("ab".repeat(48)));
    rv.put("snp_bootloader", List.of(3));
    rv.put("snp_microcode", List.of(209));
    rv.put("snp_snp_svn", List.of(20));
    rv.put("snp_tee_svn", List.of(0));
    rv.put("snp_smt_enabled", true);
    rv.put("snp_tsme_enabled", false);
    rv.put("snp_guest_abi_major", 0);
    rv.put("snp_guest_abi_minor", 0);
    rv.put("snp_single_socket", false);
    rv.put("snp_smt_allowed", true);
    return rv;
  }

  @Test
  void vouchsSnpClaimsGetTrusteesAffirmingVectorWithTrusteesReferenceValues() {
    Ar4siPolicy.Appraisal a = POLICY.evaluate(input(Tee.SNP, snpClaims()), snpReference());
    assertThat(a.vector().toEar())
        .containsEntry("executables", 3)
        .containsEntry("hardware", 2)
        .containsEntry("configuration", 2);
    assertThat(a.errors()).isEmpty();
  }

  @Test
  void aDebuggableSnpGuestOrAnOlderTcbIsNotAffirmedByTheTranslatedPolicy() {
    Map<String, Object> debug = snpClaims();
    debug.put("snp.policy.debug", true);
    assertThat(POLICY.evaluate(input(Tee.SNP, debug), snpReference()).vector().toEar())
        .containsEntry("configuration", 36);
    Map<String, Object> old = snpClaims();
    old.put("snp.reported_tcb.snp", 19L);
    assertThat(POLICY.evaluate(input(Tee.SNP, old), snpReference()).vector().toEar())
        .containsEntry("hardware", 97);
  }

  @Test
  void vouchsTpmTreeNamesPcr11AsTrusteesPolicyReadsIt() {
    Map<String, Object> flat = Map.of("tpm.pcr.sha256.11", "cd".repeat(32));
    Map<String, Object> tpm = input(Tee.TPM, flat);
    // Vouch's tree has no ak_public, so executables stays at Trustee's default (33)
    assertThat(
            POLICY
                .evaluate(
                    tpm, Map.of("tpm_pcr11", List.of("cd".repeat(32)), "trusted_aks", List.of()))
                .vector()
                .toEar())
        .containsEntry("hardware", 2)
        .containsEntry("configuration", 0)
        .containsEntry("executables", 33);
  }
}
