package dev.vouch.server.as;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Tee;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Trustee's az-snp-vtpm and az-tdx-vtpm claim trees from Vouch's flat claims: the hardware part as
 * Trustee's Azure verifiers write it, then {@code tpm.pcrNN}, with {@code report_data} the vTPM
 * nonce and {@code init_data} PCR 8 (deps/verifier/src/az_snp_vtpm/mod.rs, {@code extend_claim}).
 */
class AzureClaimTreeTest {
  private static final String PCR8 = "88".repeat(32);

  private static Map<String, Object> vtpm() {
    Map<String, Object> c = new TreeMap<>();
    for (int i = 0; i < 24; i++) {
      c.put("tpm.pcr.sha256." + i, String.format("%02x", i).repeat(32));
    }
    c.put("tpm.pcr.sha256.8", PCR8);
    c.put("tpm.extra_data", "6368616c6c656e6765");
    return c;
  }

  @Test
  void azSnpVtpmWritesTrusteesStringsAndBase64AndTheVtpmReportData() {
    Map<String, Object> c = vtpm();
    c.put("snp.measurement", "ab".repeat(48));
    c.put("snp.report_data", "cd".repeat(64));
    c.put("snp.host_data", "00".repeat(32));
    c.put("snp.policy.debug", false);
    c.put("snp.reported_tcb.snp", 22L);
    c.put("snp.chip_id", "ee".repeat(64));
    Map<String, Object> t = TrusteeClaimTree.of(Tee.AZ_SNP_VTPM, c).orElseThrow();
    assertThat(t.get("measurement"))
        .isEqualTo(
            java.util.Base64.getEncoder()
                .encodeToString(java.util.HexFormat.of().parseHex("ab".repeat(48))));
    assertThat(t.get("policy_debug_allowed")).isEqualTo("false");
    assertThat(t.get("reported_tcb_snp")).isEqualTo("22");
    assertThat(t).doesNotContainKey("chip_id");
    assertThat(t.get("report_data")).isEqualTo("6368616c6c656e6765");
    assertThat(t.get("init_data")).isEqualTo(PCR8);
    @SuppressWarnings("unchecked")
    Map<String, Object> tpm = (Map<String, Object>) t.get("tpm");
    assertThat(tpm)
        .hasSize(24)
        .containsEntry("pcr00", "00".repeat(32))
        .containsEntry("pcr23", "17".repeat(32));
  }

  @Test
  void azTdxVtpmNestsTheTdQuoteAsTheTdxTreeDoes() {
    Map<String, Object> c = vtpm();
    c.put("tdx.quote_version", 4L);
    c.put("tdx.mr_td", "11".repeat(48));
    c.put("tdx.report_data", "cd".repeat(64));
    c.put("tdx.mr_config_id", "00".repeat(48));
    Map<String, Object> t = TrusteeClaimTree.of(Tee.AZ_TDX_VTPM, c).orElseThrow();
    @SuppressWarnings("unchecked")
    Map<String, Object> quote = (Map<String, Object>) t.get("quote");
    assertThat(quote).containsKeys("header", "body");
    assertThat(((Map<?, ?>) quote.get("body")).get("mr_td")).isEqualTo("11".repeat(48));
    assertThat(((Map<?, ?>) quote.get("header")).get("version")).isEqualTo("0400");
    // extend_claim replaces the TD report's report_data and MRCONFIGID-based init_data
    assertThat(t.get("report_data")).isEqualTo("6368616c6c656e6765");
    assertThat(t.get("init_data")).isEqualTo(PCR8);
    assertThat(((Map<?, ?>) t.get("tpm")).get("pcr08")).isEqualTo(PCR8);
  }
}
