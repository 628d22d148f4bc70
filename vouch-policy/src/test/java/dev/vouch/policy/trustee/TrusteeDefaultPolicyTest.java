package dev.vouch.policy.trustee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.policy.Category;
import dev.vouch.policy.PolicyException;
import dev.vouch.policy.Tier;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CEL translation of Trustee's ear_default_policy_cpu.rego gives the trust claim values the
 * Rego gives on Trustee's inputs (test resources {@code trustee/}, provenance in MANIFEST.md). One
 * deliberate difference: the ear.trustee.identifiers extension is not translated.
 */
class TrusteeDefaultPolicyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Ar4siPolicy POLICY = TrusteePolicies.earDefaultCpu();

  private static JsonNode resource(String name) throws IOException {
    try (InputStream in = TrusteeDefaultPolicyTest.class.getResourceAsStream("/trustee/" + name)) {
      return JSON.readTree(in);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(JsonNode n) {
    return JSON.convertValue(n, LinkedHashMap.class);
  }

  private static Map<String, Integer> vector(Ar4siPolicy.Appraisal a) {
    Map<String, Integer> m = new LinkedHashMap<>();
    a.vector().toEar().forEach((k, v) -> m.put(k, (Integer) v));
    return m;
  }

  private static Map<String, Integer> expected(int executables, int hardware, int configuration) {
    Map<String, Integer> m = new HashMap<>();
    for (Category c : Category.values()) {
      m.put(c.earName(), 0);
    }
    m.put("executables", executables);
    m.put("hardware", hardware);
    m.put("configuration", configuration);
    return m;
  }

  @Test
  void trusteesDocumentedTokenHasTheVectorTheCelTranslationGives() throws Exception {
    JsonNode cpu0 = resource("example.token.json").at("/submods/cpu0");
    Ar4siPolicy.Appraisal a =
        POLICY.evaluate(map(cpu0.get("ear.veraison.annotated-evidence")), Map.of());
    // an SGX quote: the default policy has no SGX rules, so every claim keeps its default
    Map<String, Integer> trustee = new HashMap<>();
    cpu0.get("ear.trustworthiness-vector")
        .fields()
        .forEachRemaining(e -> trustee.put(e.getKey(), e.getValue().asInt()));
    assertThat(vector(a)).isEqualTo(trustee).isEqualTo(expected(33, 97, 36));
    assertThat(a.vector().status().earName()).isEqualTo(cpu0.get("ear.status").asText());
  }

  @Test
  void sampleClaimsWithTheIntegrationTestsReferenceValuesAreAffirmedByTheSampleRules()
      throws Exception {
    Ar4siPolicy.Appraisal a =
        POLICY.evaluate(
            map(resource("sample-claims.json")), map(resource("sample-reference-values.json")));
    // executables := 3 (launch_digest known), hardware := 2 (svn, major, minor >= minimum),
    // configuration := 2 (debug false)
    assertThat(vector(a)).isEqualTo(expected(3, 2, 2));
    assertThat(a.vector().status()).isEqualTo(Tier.AFFIRMING);
    assertThat(a.decidedBy())
        .containsEntry(Category.EXECUTABLES, "sample_executables")
        .containsEntry(Category.HARDWARE, "sample_hardware");
  }

  @Test
  void sampleClaimsWithoutReferenceValuesFallBackToTheDefaultsAsAnUndefinedRegoBodyDoes()
      throws Exception {
    Ar4siPolicy.Appraisal a = POLICY.evaluate(map(resource("sample-claims.json")), Map.of());
    // query_reference_value is undefined: executables and hardware keep 33 and 97; the debug
    // check needs no reference value
    assertThat(vector(a)).isEqualTo(expected(33, 97, 2));
    assertThat(a.errors()).isNotEmpty();
    assertThat(a.vector().status()).isEqualTo(Tier.CONTRAINDICATED);
  }

  @Test
  void aSampleMinorVersionBelowTheMinimumOrAnUnknownSvnIsNotRecognizedHardware() throws Exception {
    Map<String, Object> rv = map(resource("sample-reference-values.json"));
    Map<String, Object> higher = new HashMap<>(rv);
    higher.put("minimum_minor_version", 5);
    assertThat(vector(POLICY.evaluate(map(resource("sample-claims.json")), higher)))
        .isEqualTo(expected(3, 97, 2));
    Map<String, Object> otherSvn = new HashMap<>(rv);
    otherSvn.put("svn", List.of("2"));
    assertThat(vector(POLICY.evaluate(map(resource("sample-claims.json")), otherSvn)))
        .isEqualTo(expected(3, 97, 2));
    Map<String, Object> debug = map(resource("sample-claims.json"));
    ((Map<String, Object>) debug.get("sample")).put("debug", true);
    assertThat(vector(POLICY.evaluate(debug, rv))).isEqualTo(expected(3, 2, 36));
  }

  @Test
  void trusteesTransformedTdxClaimsLackTheTcbAndRtmrClaimsSoKeepTheDefaults() throws Exception {
    JsonNode tdx = resource("tdx-transformed-claims.json");
    String mrTd = tdx.at("/tdx/quote/body/mr_td").asText();
    Map<String, Object> rv =
        Map.of("mr_td", List.of(mrTd), "xfam", List.of(tdx.at("/tdx/quote/body/xfam").asText()));
    // hardware needs tcb_status and collateral_expiration_status, configuration td_attributes,
    // executables rtmr_1: none is in this tree
    assertThat(vector(POLICY.evaluate(map(tdx), rv))).isEqualTo(expected(33, 97, 36));
  }

  @Test
  void aCompleteTdxTreeGetsTheKernelCaseOrTheGrubCase() throws Exception {
    Map<String, Object> tree = map(resource("tdx-transformed-claims.json"));
    @SuppressWarnings("unchecked")
    Map<String, Object> td = (Map<String, Object>) tree.get("tdx");
    @SuppressWarnings("unchecked")
    Map<String, Object> body =
        (Map<String, Object>) ((Map<String, Object>) td.get("quote")).get("body");
    body.put("rtmr_1", "aa");
    body.put("rtmr_2", "bb");
    td.put("tcb_status", "UpToDate");
    td.put("collateral_expiration_status", "0");
    td.put("td_attributes", Map.of("debug", false));
    Map<String, Object> rv = new HashMap<>();
    rv.put("mr_td", List.of(body.get("mr_td")));
    rv.put("xfam", List.of(body.get("xfam")));
    rv.put("rtmr_1", List.of("aa"));
    rv.put("rtmr_2", List.of("bb"));
    rv.put("tdvfkernel", "k1");
    rv.put("tdvfkernelparams", "p1");
    // no event log: the Grub case, executables := 4
    Ar4siPolicy.Appraisal grub = POLICY.evaluate(tree, rv);
    assertThat(vector(grub)).isEqualTo(expected(4, 2, 2));
    assertThat(grub.decidedBy()).containsEntry(Category.EXECUTABLES, "tdx_executables_grub");
    td.put(
        "uefi_event_logs",
        List.of(
            Map.of(
                "type_name", "EV_EFI_BOOT_SERVICES_APPLICATION",
                "details", Map.of("device_paths", List.of("File(kernel)")),
                "digests", List.of(Map.of("alg", "SHA-384", "digest", "k1"))),
            Map.of(
                "type_name", "EV_EVENT_TAG",
                "details", Map.of("string", "LOADED_IMAGE::LoadOptions"),
                "digests", List.of(Map.of("alg", "SHA-384", "digest", "p1")))));
    assertThat(vector(POLICY.evaluate(tree, rv))).isEqualTo(expected(3, 2, 2));
    // a kernel digest that differs falls back to the Grub case, as Rego's else does
    rv.put("tdvfkernel", "other");
    assertThat(vector(POLICY.evaluate(tree, rv))).isEqualTo(expected(4, 2, 2));
    // a TCB that is not UpToDate or expired collateral is unrecognized hardware
    td.put("tcb_status", "OutOfDate");
    assertThat(vector(POLICY.evaluate(tree, rv)).get("hardware")).isEqualTo(97);
    td.put("tcb_status", "UpToDate");
    td.put("collateral_expiration_status", "1");
    assertThat(vector(POLICY.evaluate(tree, rv)).get("hardware")).isEqualTo(97);
  }

  @Test
  void snpConfigurationIsTwoWhenEveryFieldMatchesThreeWhenOnlyDebugAndMigrationAreOff() {
    Map<String, Object> snp = new HashMap<>();
    snp.put("measurement", "m");
    snp.put("reported_tcb_bootloader", 3);
    snp.put("reported_tcb_microcode", 209);
    snp.put("reported_tcb_snp", 20);
    snp.put("reported_tcb_tee", 0);
    snp.put("policy_debug_allowed", false);
    snp.put("policy_migrate_ma", false);
    snp.put("platform_smt_enabled", true);
    snp.put("platform_tsme_enabled", false);
    snp.put("policy_abi_major", 0);
    snp.put("policy_abi_minor", 0);
    snp.put("policy_single_socket", false);
    snp.put("policy_smt_allowed", true);
    Map<String, Object> input = Map.of("snp", snp);
    Map<String, Object> rv = new HashMap<>();
    rv.put("snp_launch_measurement", List.of("m"));
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
    assertThat(vector(POLICY.evaluate(input, rv))).isEqualTo(expected(3, 2, 2));
    rv.put("snp_smt_enabled", false);
    assertThat(vector(POLICY.evaluate(input, rv))).isEqualTo(expected(3, 2, 3));
    snp.put("policy_debug_allowed", true);
    assertThat(vector(POLICY.evaluate(input, rv))).isEqualTo(expected(3, 2, 36));
    snp.put("reported_tcb_snp", 19);
    snp.put("measurement", "n");
    assertThat(vector(POLICY.evaluate(input, rv))).isEqualTo(expected(33, 97, 36));
  }

  @Test
  void aTpmIsRecognizedHardwareWithNoConfigurationAssertionAndSeIsTrustedAsVerified() {
    Map<String, Object> tpm = Map.of("pcr11", "p", "ak_public", "ak");
    assertThat(vector(POLICY.evaluate(Map.of("tpm", tpm), Map.of()))).isEqualTo(expected(33, 2, 0));
    assertThat(
            vector(
                POLICY.evaluate(
                    Map.of("tpm", tpm),
                    Map.of("tpm_pcr11", List.of("p"), "trusted_aks", List.of("ak")))))
        .isEqualTo(expected(3, 2, 0));
    assertThat(vector(POLICY.evaluate(Map.of("se", Map.of()), Map.of())))
        .isEqualTo(expected(3, 2, 2));
  }

  @Test
  void azureVtpmClaimsAreAppraisedByTheirOwnCases() {
    Map<String, Object> azSnp = new HashMap<>();
    azSnp.put("measurement", "m");
    azSnp.put("tpm", Map.of("pcr11", "p"));
    for (String f : List.of("bootloader", "microcode", "snp", "tee")) {
      azSnp.put("reported_tcb_" + f, 1);
    }
    for (String f :
        List.of("platform_smt_enabled", "platform_tsme_enabled", "policy_single_socket")) {
      azSnp.put(f, false);
    }
    azSnp.put("policy_abi_major", 0);
    azSnp.put("policy_abi_minor", 31);
    azSnp.put("policy_smt_allowed", true);
    Map<String, Object> rv = new HashMap<>();
    rv.put("measurement", List.of("m"));
    rv.put("snp_pcr11", List.of("p"));
    for (String f : List.of("bootloader", "microcode", "snp", "tee")) {
      rv.put("tcb_" + f, List.of(1));
    }
    rv.put("smt_enabled", List.of(false));
    rv.put("tsme_enabled", List.of(false));
    rv.put("single_socket", List.of(false));
    rv.put("abi_major", List.of(0));
    rv.put("abi_minor", List.of(31));
    rv.put("smt_allowed", List.of(true));
    assertThat(vector(POLICY.evaluate(Map.of("az-snp-vtpm", azSnp), rv)))
        .isEqualTo(expected(3, 2, 2));
    rv.put("abi_minor", List.of(30));
    assertThat(vector(POLICY.evaluate(Map.of("az-snp-vtpm", azSnp), rv)))
        .isEqualTo(expected(3, 2, 36));

    Map<String, Object> azTdx =
        Map.of(
            "tpm", Map.of("pcr11", "p"),
            "tcb_status", "UpToDate",
            "quote",
                Map.of(
                    "header",
                        Map.of(
                            "tee_type", "81000000",
                            "vendor_id", "939a7233f79c4ca9940a0db3957f0607"),
                    "body", Map.of("mr_td", "td", "xfam", "e7")));
    Map<String, Object> tdxRv =
        Map.of("tdx_pcr11", List.of("p"), "mr_td", List.of("td"), "xfam", List.of("e7"));
    assertThat(vector(POLICY.evaluate(Map.of("az-tdx-vtpm", azTdx), tdxRv)))
        .isEqualTo(expected(3, 2, 2));
    assertThat(vector(POLICY.evaluate(Map.of("az-tdx-vtpm", azTdx), Map.of())))
        .isEqualTo(expected(33, 97, 36));
  }

  @Test
  void documentsWithStructuralErrorsOrConditionsThatDoNotTypeCheckAreRefused() {
    for (String bad :
        List.of(
            "trust_claims: {}",
            "rules: []",
            "trust_claims: {speed: {default: 1}}",
            "trust_claims: {hardware: {default: 300}}",
            "trust_claims: {hardware: {cases: [{name: a, value: 2, expr: '1 + 1'}]}}",
            "trust_claims: {hardware: {cases: [{name: a, value: 2, expr: 'input.x ==' }]}}",
            "trust_claims: {hardware: {cases: [{name: a, value: 2, expr: 'true'},"
                + " {name: a, value: 3, expr: 'true'}]}}",
            "trust_claims: {hardware: {default: 1, colour: red}}")) {
      assertThatThrownBy(() -> Ar4siPolicy.compile("t", bad))
          .as(bad)
          .isInstanceOf(PolicyException.class);
    }
  }

  @Test
  void aReferenceValueGivenAsOneValueOrAsAOneElementListDecidesAlike() throws Exception {
    // Trustee registers major_version as 1; Vouch's RVPS stores every value as a list
    Map<String, Object> asLists = new HashMap<>();
    map(resource("sample-reference-values.json"))
        .forEach((k, v) -> asLists.put(k, v instanceof List<?> ? v : List.of(v)));
    Ar4siPolicy.Appraisal a = POLICY.evaluate(map(resource("sample-claims.json")), asLists);
    assertThat(vector(a)).isEqualTo(expected(3, 2, 2));
    assertThat(a.errors()).isEmpty();
    // a list of accepted major versions without the claim's refuses it
    asLists.put("major_version", List.of(2, 3));
    assertThat(vector(POLICY.evaluate(map(resource("sample-claims.json")), asLists)))
        .isEqualTo(expected(3, 97, 2));
  }

  @Test
  void onlyAYamlMappingWithTopLevelTrustClaimsIsRecognisedAsThisForm() {
    assertThat(Ar4siPolicy.recognises(TrusteePolicies.earDefaultCpuSource())).isTrue();
    assertThat(Ar4siPolicy.recognises("trust_claims: {hardware: {default: 97}}")).isTrue();
    assertThat(Ar4siPolicy.recognises("rules:\n  - name: a\n    expr: 'true'\n")).isFalse();
    assertThat(Ar4siPolicy.recognises("description: x\nrules: {trust_claims: 1}")).isFalse();
    assertThat(Ar4siPolicy.recognises("- trust_claims")).isFalse();
    assertThat(Ar4siPolicy.recognises("trust_claims: [unclosed")).isFalse();
    assertThat(TrusteePolicies.earDefaultCpu().id()).isEqualTo(TrusteePolicies.BUILTIN_ID);
  }
}
