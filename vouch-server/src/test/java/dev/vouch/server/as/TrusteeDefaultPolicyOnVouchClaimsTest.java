package dev.vouch.server.as;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Tee;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.sample.SampleEvidenceVerifier;
import dev.vouch.evidence.tdx.TdxEvidenceVerifier;
import dev.vouch.evidence.tpm.TpmClaims;
import dev.vouch.policy.Category;
import dev.vouch.policy.trustee.Ar4siPolicy;
import dev.vouch.policy.trustee.TrusteePolicies;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The CEL translation of Trustee's default attestation policy reads the claim tree Vouch builds for
 * Trustee-shaped tokens ({@link TrusteeClaimTree}) by the names Trustee's Rego uses: Vouch's flat
 * claims in, Trustee's trust vector out, with Trustee's reference value names. The claims the Rego
 * reads beyond the quote are there: TDX {@code tcb_status} and {@code collateral_expiration_status}
 * (from a real quote verified with Intel-signed collateral), TPM {@code ak_public}, sample {@code
 * platform_version}.
 */
class TrusteeDefaultPolicyOnVouchClaimsTest {
  private static final Ar4siPolicy POLICY = TrusteePolicies.earDefaultCpu();

  /** Inside the dcap-qvl sample collateral's validity window (its recorded verification time). */
  private static final Instant COLLATERAL_VALID = Instant.parse("2025-07-19T10:00:34Z");

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

  private static Map<String, Object> vector(Ar4siPolicy.Appraisal a) {
    return a.vector().toEar();
  }

  /** Trustee's policy input built as the attestation service builds it. */
  private static Map<String, Object> asInput(Tee tee, Map<String, Object> flat) {
    return AttestationService.trusteeInput(
        tee, TrusteeClaimTree.of(tee, flat).orElseThrow(), Map.of());
  }

  @Test
  void vouchsTpmTreeCarriesTrusteesAkPublicSoAKnownAkAndPcr11AreRecognizedExecutables() {
    String ak = Base64.getEncoder().encodeToString(new byte[] {0x30, 0x59, 1, 2});
    Map<String, Object> flat =
        Map.of(
            "tpm.pcr.sha256.11",
            "cd".repeat(32),
            "tpm.pcr.sha256.8",
            "00".repeat(32),
            "tpm.extra_data",
            "11".repeat(32),
            TpmClaims.AK_PUBLIC,
            ak);
    Map<String, Object> in = asInput(Tee.TPM, flat);
    // Trustee lifts init_data (PCR 8) and report_data (the quote's nonce) out of the TEE tree
    assertThat(in).containsEntry("init_data", "00".repeat(32)).containsKey("report_data");
    @SuppressWarnings("unchecked")
    Map<String, Object> tpm = (Map<String, Object>) in.get("tpm");
    assertThat(tpm).containsEntry("ak_public", ak).containsKey("pcr11");
    Map<String, Object> rv =
        Map.of("tpm_pcr11", List.of("cd".repeat(32)), "trusted_aks", List.of(ak));
    assertThat(vector(POLICY.evaluate(in, rv)))
        .containsEntry("executables", 3)
        .containsEntry("hardware", 2)
        .containsEntry("configuration", 0);
    // another AK, or another PCR 11, is not recognized: Trustee's 33
    assertThat(
            vector(
                POLICY.evaluate(
                    in,
                    Map.of("tpm_pcr11", List.of("cd".repeat(32)), "trusted_aks", List.of("x")))))
        .containsEntry("executables", 33);
    assertThat(
            vector(
                POLICY.evaluate(
                    in, Map.of("tpm_pcr11", List.of("ce".repeat(32)), "trusted_aks", List.of(ak)))))
        .containsEntry("executables", 33);
  }

  @Test
  void vouchsSampleVerifierReportsTrusteesPlatformVersionSoTheSampleIsAffirmed() throws Exception {
    byte[] nonce = "nonce".getBytes(StandardCharsets.UTF_8);
    String evidence =
        "{\"svn\":\"1\",\"report_data\":\"" + Base64.getEncoder().encodeToString(nonce) + "\"}";
    VerifiedEvidence v =
        new SampleEvidenceVerifier()
            .verify(
                evidence.getBytes(StandardCharsets.UTF_8),
                new Expectations(Optional.of(nonce), Instant.now(), List.of()));
    Map<String, Object> in = asInput(Tee.SAMPLE, v.claims().asMap());
    assertThat(((Map<?, ?>) in.get("sample")).get("platform_version"))
        .isEqualTo(Map.of("major", 1L, "minor", 4L));
    // Trustee's integration-test reference values, with Vouch's sample launch digest
    Map<String, Object> rv = new HashMap<>();
    rv.put("launch_digest", List.of(SampleEvidenceVerifier.LAUNCH_DIGEST));
    rv.put("svn", List.of("1"));
    rv.put("major_version", List.of(1));
    rv.put("minimum_minor_version", List.of(1));
    Ar4siPolicy.Appraisal a = POLICY.evaluate(in, rv);
    assertThat(vector(a))
        .containsEntry("executables", 3)
        .containsEntry("hardware", 2)
        .containsEntry("configuration", 2);
    assertThat(a.errors()).isEmpty();
    rv.put("minimum_minor_version", List.of(5));
    assertThat(vector(POLICY.evaluate(in, rv))).containsEntry("hardware", 97);
  }

  private static VerifiedEvidence dcapSampleTdxQuote(Instant at) throws Exception {
    return new TdxEvidenceVerifier()
        .verify(
            resource("/vectors/tdx/tdx_quote"),
            new Expectations(
                Optional.empty(), at, List.of(resource("/vectors/tdx/tdx_quote_collateral.json"))));
  }

  private static byte[] resource(String name) throws Exception {
    try (InputStream in = TrusteeDefaultPolicyOnVouchClaimsTest.class.getResourceAsStream(name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  private static Map<String, Object> tdxReference(Map<String, Object> flat) {
    return Map.of(
        "mr_td", List.of(flat.get("tdx.mr_td")),
        "xfam", List.of(flat.get("tdx.xfam")),
        "rtmr_1", List.of(flat.get("tdx.rtmr.1")),
        "rtmr_2", List.of(flat.get("tdx.rtmr.2")));
  }

  @Test
  void aVerifiedTdxQuoteWithCurrentCollateralReachesTrusteesHardwareAndConfigurationValues()
      throws Exception {
    Map<String, Object> flat = dcapSampleTdxQuote(COLLATERAL_VALID).claims().asMap();
    Map<String, Object> in = asInput(Tee.TDX, flat);
    Map<?, ?> tdx = (Map<?, ?>) in.get("tdx");
    assertThat(tdx.get("tcb_status")).isEqualTo("UpToDate");
    assertThat(tdx.get("collateral_expiration_status")).isEqualTo("0");
    Ar4siPolicy.Appraisal a = POLICY.evaluate(in, tdxReference(flat));
    // hardware: Intel's TEE type and vendor, a known MRTD, UpToDate, collateral current;
    // executables: Rego's "else := 4" (no uefi_event_logs in Vouch's tree, see
    // TrusteeVectorParityTest), as Trustee gives for a quote whose log shows no kernel event
    assertThat(vector(a))
        .containsEntry("hardware", 2)
        .containsEntry("configuration", 2)
        .containsEntry("executables", 4);
    assertThat(a.decidedBy()).containsEntry(Category.EXECUTABLES, "tdx_executables_grub");
  }

  @Test
  void expiredIntelCollateralIsReportedAsTrusteeDoesAndTheTranslatedPolicyRefusesTheHardware()
      throws Exception {
    Map<String, Object> flat =
        dcapSampleTdxQuote(COLLATERAL_VALID.plusSeconds(3600)).claims().asMap();
    Map<String, Object> in = asInput(Tee.TDX, flat);
    assertThat(((Map<?, ?>) in.get("tdx")).get("collateral_expiration_status")).isEqualTo("1");
    assertThat(vector(POLICY.evaluate(in, tdxReference(flat)))).containsEntry("hardware", 97);
    // an unknown MRTD is refused as well, with current collateral
    Map<String, Object> current = dcapSampleTdxQuote(COLLATERAL_VALID).claims().asMap();
    Map<String, Object> rv = new HashMap<>(tdxReference(current));
    rv.put("mr_td", List.of("00".repeat(48)));
    assertThat(vector(POLICY.evaluate(asInput(Tee.TDX, current), rv)))
        .containsEntry("hardware", 97);
  }

  @Test
  void theInputLiftsInitAndReportDataAndCarriesTheRequestsClaimsOrNullAsTrusteesDoes() {
    Map<String, Object> flat =
        Map.of("tdx.mr_td", "aa", "tdx.report_data", "bb", "tdx.mr_config_id", "cc");
    Map<String, Object> tree = TrusteeClaimTree.of(Tee.TDX, flat).orElseThrow();
    Map<String, Object> in =
        AttestationService.trusteeInput(
            Tee.TDX,
            tree,
            Map.of(
                "runtime_data_claims", Map.of("nonce", "n1"),
                "init_data_claims", Map.of("policy", "p")));
    assertThat(in)
        .containsEntry("report_data", "bb")
        .containsEntry("init_data", "cc")
        .containsEntry("runtime_data_claims", Map.of("nonce", "n1"))
        .containsEntry("init_data_claims", Map.of("policy", "p"));
    assertThat(((Map<?, ?>) in.get("tdx")).containsKey("report_data")).isFalse();
    assertThat(((Map<?, ?>) in.get("tdx")).containsKey("init_data")).isFalse();
    // raw runtime data, no init data document: Trustee's null
    Map<String, Object> raw = AttestationService.trusteeInput(Tee.TDX, tree, Map.of());
    assertThat(raw)
        .containsEntry("runtime_data_claims", null)
        .containsEntry("init_data_claims", null);
    // a tree without report data gets neither member
    Map<String, Object> none =
        AttestationService.trusteeInput(Tee.SNP, Map.of("measurement", "m"), Map.of());
    assertThat(none).containsOnlyKeys("snp");
  }
}
