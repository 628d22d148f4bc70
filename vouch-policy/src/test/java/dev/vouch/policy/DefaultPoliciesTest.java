package dev.vouch.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.ValueSource;

class DefaultPoliciesTest {
  static final List<String> KINDS = DefaultPolicies.KINDS;

  static final String PCR0 = "a0".repeat(32);
  static final String PCR2 = "a2".repeat(32);
  static final String PCR4 = "a4".repeat(32);
  static final String PCR7 = "a7".repeat(32);
  static final String MRTD = "11".repeat(48);

  /** A good claim set and the reference values that make it affirming, per kind. */
  static Map<String, Object> goodClaims(String kind) {
    Map<String, Object> c = new HashMap<>();
    switch (kind) {
      case "tpm" -> {
        c.put("tpm.ak.certified", false);
        c.put("tpm.ak.spki_sha256", "5a".repeat(32));
        c.put("tpm.pcr.sha256.0", PCR0);
        c.put("tpm.pcr.sha256.2", PCR2);
        c.put("tpm.pcr.sha256.4", PCR4);
        c.put("tpm.pcr.sha256.7", PCR7);
        c.put("tpm.eventlog.verified", true);
        c.put("tpm.secure_boot", true);
        c.put("tpm.clock_safe", true);
        c.put("tpm.ima.verified", true);
        c.put("tpm.ima.violations", 0L);
      }
      case "tdx" -> {
        c.put("tdx.debug", false);
        c.put("tdx.tcb_status", "UpToDate");
        c.put("tdx.collateral_expiration_status", "0");
        c.put("tdx.mr_td", MRTD);
        for (int i = 0; i < 4; i++) {
          c.put("tdx.rtmr." + i, String.valueOf(i).repeat(96));
        }
      }
      case "sgx" -> {
        c.put("sgx.debug", false);
        c.put("sgx.tcb_status", "UpToDate");
        c.put("sgx.collateral_expiration_status", "0");
        c.put("sgx.mr_enclave", "e1".repeat(32));
        c.put("sgx.mr_signer", "51".repeat(32));
      }
      case "snp" -> {
        c.put("snp.policy.debug", false);
        c.put("snp.vmpl", 0L);
        c.put("snp.measurement", "4d".repeat(48));
        c.put("snp.reported_tcb.bootloader", 10L);
        c.put("snp.reported_tcb.tee", 0L);
        c.put("snp.reported_tcb.snp", 23L);
        c.put("snp.reported_tcb.microcode", 213L);
      }
      case "az-snp-vtpm" -> {
        c.putAll(goodClaims("snp"));
        c.putAll(vtpmPcrs());
      }
      case "az-tdx-vtpm" -> {
        c.put("tdx.debug", false);
        c.put("tdx.tcb_status", "UpToDate");
        c.put("tdx.mr_td", MRTD);
        c.putAll(vtpmPcrs());
      }
      case "cca" -> c.put("cca.realm.rim", "6a".repeat(64));
      case "container" -> {
        c.put("tpm.ak.certified", false);
        c.put("tpm.ak.spki_sha256", "5a".repeat(32));
        c.put("container.register", "c0".repeat(32));
        c.put("container.isolated", true);
      }
      case "sample" -> {
        c.put("sample.debug", false);
        c.put("sample.launch_digest", "abcde");
        c.put("sample.svn", "1");
      }
      default -> throw new IllegalArgumentException(kind);
    }
    return c;
  }

  /** The boot PCRs an Azure vTPM quote carries, as the az-* defaults judge them. */
  private static Map<String, Object> vtpmPcrs() {
    return Map.of("tpm.pcr.sha256.0", PCR0, "tpm.pcr.sha256.4", PCR4, "tpm.pcr.sha256.7", PCR7);
  }

  static Map<String, Object> reference(String kind) {
    Map<String, Object> r = new HashMap<>();
    Map<String, Object> c = goodClaims(kind);
    switch (kind) {
      case "tpm" -> {
        r.put("tpm.trusted_aks", List.of(c.get("tpm.ak.spki_sha256")));
        for (int i : new int[] {0, 2, 4, 7}) {
          r.put("tpm.pcr.sha256." + i, List.of("00".repeat(32), c.get("tpm.pcr.sha256." + i)));
        }
      }
      case "az-snp-vtpm" -> {
        r.putAll(reference("snp"));
        vtpmPcrs().forEach((k, v) -> r.put(k, List.of(v)));
      }
      case "container" -> {
        r.put("tpm.trusted_aks", List.of(c.get("tpm.ak.spki_sha256")));
        r.put("container.register", List.of(c.get("container.register")));
      }
      case "snp" -> {
        r.put("snp.measurement", List.of(c.get("snp.measurement")));
        r.put("snp.minimum_tcb.bootloader", List.of(10L));
        r.put("snp.minimum_tcb.tee", List.of(0L));
        r.put("snp.minimum_tcb.snp", List.of(22L));
        r.put("snp.minimum_tcb.microcode", List.of(213L));
      }
      default -> {
        for (Map.Entry<String, Object> e : c.entrySet()) {
          if (e.getValue() instanceof String s
              && !e.getKey().endsWith("tcb_status")
              && !e.getKey().endsWith("collateral_expiration_status")) {
            r.put(e.getKey(), List.of(s));
          }
        }
      }
    }
    return r;
  }

  static Appraisal appraise(String kind, Map<String, Object> claims, Map<String, Object> ref) {
    return PolicyEngine.evaluate(DefaultPolicies.load(kind), claims, ref, Map.of());
  }

  @ParameterizedTest
  @FieldSource("KINDS")
  void everyDefaultPolicyCompilesAndAffirmsAGoodClaimSet(String kind) {
    Appraisal a = appraise(kind, goodClaims(kind), reference(kind));
    assertThat(a.policyId()).isEqualTo("default-" + kind);
    assertThat(a.failures()).isEmpty();
    assertThat(a.status()).isEqualTo(Tier.AFFIRMING);
  }

  @ParameterizedTest
  @FieldSource("KINDS")
  void everyDefaultPolicyIsContraindicatedWithoutReferenceValues(String kind) {
    Appraisal a = appraise(kind, goodClaims(kind), Map.of());
    assertThat(a.status()).isEqualTo(Tier.CONTRAINDICATED);
    assertThat(a.failures())
        .allSatisfy(
            r -> assertThat(r.explanation()).contains("reference value").contains("absent"));
  }

  @ParameterizedTest
  @FieldSource("KINDS")
  void everyDefaultPolicyIsContraindicatedForAnEmptyClaimSet(String kind) {
    Appraisal a = appraise(kind, Map.of(), reference(kind));
    assertThat(a.status()).isEqualTo(Tier.CONTRAINDICATED);
    assertThat(a.failures()).isNotEmpty();
  }

  @Test
  void tdxWithDebugOnIsContraindicatedAndSaysWhy() {
    Map<String, Object> c = goodClaims("tdx");
    c.put("tdx.debug", true);
    Appraisal a = appraise("tdx", c, reference("tdx"));
    assertThat(a.status()).isEqualTo(Tier.CONTRAINDICATED);
    assertThat(a.trustVector().get(Category.CONFIGURATION)).isEqualTo(96);
    assertThat(a.failures())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.rule()).isEqualTo("debug_off");
              assertThat(r.explanation())
                  .isEqualTo("claim tdx.debug: expected == false, actual true");
            });
  }

  @Test
  void tdxWithAnUnknownMrTdIsContraindicatedAndNamesExpectedAndActual() {
    Map<String, Object> c = goodClaims("tdx");
    c.put("tdx.mr_td", "22".repeat(48));
    Appraisal a = appraise("tdx", c, reference("tdx"));
    assertThat(a.trustVector().get(Category.EXECUTABLES)).isEqualTo(96);
    assertThat(a.failures())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.rule()).isEqualTo("mr_td_known");
              assertThat(r.findings())
                  .containsExactly(
                      new Finding.Comparison(
                          "tdx.mr_td", "in", List.of(MRTD), "tdx.mr_td", "22".repeat(48), false));
            });
  }

  @Test
  void tdxTcbNeedingHardeningIsAWarningAndOutOfDateIsContraindicated() {
    Map<String, Object> c = goodClaims("tdx");
    c.put("tdx.tcb_status", "SWHardeningNeeded");
    Appraisal warn = appraise("tdx", c, reference("tdx"));
    assertThat(warn.status()).isEqualTo(Tier.WARNING);
    assertThat(warn.trustVector().get(Category.HARDWARE)).isEqualTo(32);
    c.put("tdx.tcb_status", "OutOfDate");
    Appraisal bad = appraise("tdx", c, reference("tdx"));
    assertThat(bad.status()).isEqualTo(Tier.CONTRAINDICATED);
    assertThat(bad.failures())
        .extracting(RuleResult::rule)
        .containsExactly("tcb_acceptable", "tcb_up_to_date");
  }

  @ParameterizedTest
  @ValueSource(strings = {"tdx", "sgx"})
  void expiredIntelCollateralIsContraindicatedByTheDefaultPolicy(String kind) {
    Map<String, Object> c = goodClaims(kind);
    c.put(kind + ".collateral_expiration_status", "1");
    c.put(kind + ".collateral_expired_since", "2025-07-19T10:00:35Z");
    c.put(kind + ".collateral_overdue_seconds", 86_400L);
    Appraisal a = appraise(kind, c, reference(kind));
    assertThat(a.status()).isEqualTo(Tier.CONTRAINDICATED);
    assertThat(a.failures())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.rule()).isEqualTo("collateral_not_expired");
              assertThat(r.category()).isEqualTo(Category.HARDWARE);
              assertThat(r.explanation()).contains(kind + ".collateral_expiration_status");
            });
  }

  @Test
  void aRelyingPartyMayAllowExpiredCollateralWithinAGracePeriod() throws Exception {
    Policy grace =
        PolicyCompiler.compile(
            "grace",
            """
            rules:
              - name: collateral_within_grace
                category: hardware
                expr: >-
                  claims["tdx.collateral_expiration_status"] == "0" ||
                  claims["tdx.collateral_overdue_seconds"] <= 7 * 86400
            """);
    Map<String, Object> c = goodClaims("tdx");
    c.put("tdx.collateral_expiration_status", "1");
    c.put("tdx.collateral_overdue_seconds", 3L * 86_400);
    assertThat(PolicyEngine.evaluate(grace, c, Map.of(), Map.of()).status())
        .isEqualTo(Tier.AFFIRMING);
    c.put("tdx.collateral_overdue_seconds", 8L * 86_400);
    assertThat(PolicyEngine.evaluate(grace, c, Map.of(), Map.of()).status())
        .isEqualTo(Tier.CONTRAINDICATED);
    c.put("tdx.collateral_expiration_status", "0");
    c.remove("tdx.collateral_overdue_seconds");
    assertThat(PolicyEngine.evaluate(grace, c, Map.of(), Map.of()).status())
        .isEqualTo(Tier.AFFIRMING);
  }

  @Test
  void tpmWithAnUnknownBootPcrIsContraindicatedInExecutables() {
    Map<String, Object> c = goodClaims("tpm");
    c.put("tpm.pcr.sha256.4", "ff".repeat(32));
    Appraisal a = appraise("tpm", c, reference("tpm"));
    assertThat(a.trustVector().get(Category.EXECUTABLES)).isEqualTo(96);
    assertThat(a.failures())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.rule()).isEqualTo("boot_pcr_4");
              assertThat(r.explanation())
                  .startsWith(
                      "claim tpm.pcr.sha256.4: expected one of reference tpm.pcr.sha256.4 = [")
                  .endsWith("actual \"" + "ff".repeat(32) + "\"");
            });
  }

  @Test
  void tpmWithSecureBootOffAfterAReplayedLogIsContraindicated() {
    Map<String, Object> c = goodClaims("tpm");
    c.put("tpm.secure_boot", false);
    Appraisal a = appraise("tpm", c, reference("tpm"));
    assertThat(a.failures())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.rule()).isEqualTo("secure_boot_on");
              assertThat(r.explanation())
                  .contains("claim tpm.secure_boot: expected == true, actual false");
            });
  }

  @Test
  void tpmWithoutAnEventLogHasNoSecureBootClaimAndFailsSayingItIsAbsent() {
    Map<String, Object> c = goodClaims("tpm");
    c.put("tpm.eventlog.verified", false);
    c.remove("tpm.secure_boot");
    Appraisal a = appraise("tpm", c, reference("tpm"));
    assertThat(a.status()).isEqualTo(Tier.CONTRAINDICATED);
    assertThat(a.failures())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.rule()).isEqualTo("secure_boot_on");
              assertThat(r.explanation()).contains("tpm.secure_boot").contains("absent");
            });
  }

  @Test
  void tpmWithAnEventLogThatDidNotCoverPcr7FailsSecureBootToo() {
    // the verifier emits tpm.eventlog.verified but no Secure Boot claim when PCR 7 was not quoted
    Map<String, Object> c = goodClaims("tpm");
    c.remove("tpm.secure_boot");
    assertThat(appraise("tpm", c, reference("tpm")).failures())
        .extracting(RuleResult::rule)
        .containsExactly("secure_boot_on");
  }

  @Test
  void tpmWithoutAnImaListDoesNotPassTheImaRule() {
    Map<String, Object> c = goodClaims("tpm");
    c.put("tpm.ima.verified", false);
    c.remove("tpm.ima.violations");
    Appraisal a = appraise("tpm", c, reference("tpm"));
    assertThat(a.status()).isEqualTo(Tier.WARNING);
    assertThat(a.failures())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.rule()).isEqualTo("ima_no_violations");
              assertThat(r.explanation()).contains("tpm.ima.verified");
            });
  }

  @Test
  void tpmWithAnImaViolationWarns() {
    Map<String, Object> c = goodClaims("tpm");
    c.put("tpm.ima.violations", 2L);
    Appraisal a = appraise("tpm", c, reference("tpm"));
    assertThat(a.status()).isEqualTo(Tier.WARNING);
    assertThat(a.failures()).extracting(RuleResult::rule).containsExactly("ima_no_violations");
  }

  @Test
  void tpmWithAnUnknownUncertifiedAkIsContraindicatedInInstanceIdentity() {
    Map<String, Object> c = goodClaims("tpm");
    c.put("tpm.ak.spki_sha256", "00".repeat(32));
    Appraisal a = appraise("tpm", c, reference("tpm"));
    assertThat(a.trustVector().get(Category.INSTANCE_IDENTITY)).isEqualTo(96);
    assertThat(a.failures().get(0).explanation())
        .contains("claim tpm.ak.certified: expected == true, actual false")
        .contains("claim tpm.ak.spki_sha256: expected one of reference tpm.trusted_aks");
  }

  @Test
  void snpWithDebugAllowedOrAnOldTcbIsContraindicated() {
    Map<String, Object> c = goodClaims("snp");
    c.put("snp.policy.debug", true);
    c.put("snp.reported_tcb.snp", 21L);
    Appraisal a = appraise("snp", c, reference("snp"));
    assertThat(a.status()).isEqualTo(Tier.CONTRAINDICATED);
    assertThat(a.failures())
        .extracting(RuleResult::explanation)
        .containsExactly(
            "claim snp.policy.debug: expected == false, actual true",
            "claim snp.reported_tcb.snp: expected >= reference snp.minimum_tcb.snp[0] = 22, actual 21");
  }

  @Test
  void snpReportedFromAVmplOtherThanZeroIsContraindicatedAsTrusteeRefusesIt() {
    Map<String, Object> c = goodClaims("snp");
    c.put("snp.vmpl", 1L);
    Appraisal a = appraise("snp", c, reference("snp"));
    assertThat(a.status()).isEqualTo(Tier.CONTRAINDICATED);
    assertThat(a.failures()).extracting(RuleResult::rule).containsExactly("vmpl_zero");
  }

  @Test
  void snpWithoutAVmplClaimFailsTheVmplRule() {
    Map<String, Object> c = goodClaims("snp");
    c.remove("snp.vmpl");
    assertThat(appraise("snp", c, reference("snp")).failures())
        .extracting(RuleResult::rule)
        .containsExactly("vmpl_zero");
  }

  @Test
  void ccaWithAnUnknownRimIsContraindicated() {
    Map<String, Object> c = goodClaims("cca");
    c.put("cca.realm.rim", "00");
    assertThat(appraise("cca", c, reference("cca")).failures())
        .extracting(RuleResult::rule)
        .containsExactly("realm_rim_known");
  }
}
