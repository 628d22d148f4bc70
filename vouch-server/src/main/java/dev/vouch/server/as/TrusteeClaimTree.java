package dev.vouch.server.as;

import dev.vouch.core.Tee;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.dcap.PckClaims;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The per-TEE claim tree Trustee's verifiers produce, built from Vouch's flat claims, so that a
 * relying party written for Trustee tokens finds {@code
 * submods.cpu0["ear.veraison.annotated-evidence"].tdx.quote.body.mr_td}, {@code ...snp.measurement}
 * or {@code ...tpm.pcr07} where Trustee puts them. The tree sits under the TEE's wire name beside
 * Vouch's flat names, which stay as they are.
 *
 * <p>Only claims both verifiers emit are mapped (names from Trustee's {@code deps/verifier}: {@code
 * tdx/claims.rs}, {@code snp/mod.rs}, {@code tpm/mod.rs}, {@code sample/mod.rs}); values keep
 * Vouch's encodings, which are Trustee's for these claims (lowercase hex, numbers, booleans),
 * except the DCAP quote version and SGX 16-bit numbers, written as Trustee writes them
 * (little-endian hex), and CCA byte values, in base64 as Trustee's CCA verifier gives them. A TEE
 * without a mapping gets no tree.
 */
public final class TrusteeClaimTree {
  private TrusteeClaimTree() {}

  private static final Map<String, String> TDX_BODY = new LinkedHashMap<>();
  private static final Map<String, String> SNP = new LinkedHashMap<>();
  private static final Map<String, String> SAMPLE = new LinkedHashMap<>();

  static {
    // Trustee's quote.body member <- Vouch's flat claim
    TDX_BODY.put("tcb_svn", "tdx.tee_tcb_svn");
    TDX_BODY.put("mr_seam", "tdx.mr_seam");
    TDX_BODY.put("mrsigner_seam", "tdx.mr_signer_seam");
    TDX_BODY.put("seam_attributes", "tdx.seam_attributes");
    TDX_BODY.put("td_attributes", "tdx.td_attributes");
    TDX_BODY.put("xfam", "tdx.xfam");
    TDX_BODY.put("mr_td", "tdx.mr_td");
    TDX_BODY.put("mr_config_id", "tdx.mr_config_id");
    TDX_BODY.put("mr_owner", "tdx.mr_owner");
    TDX_BODY.put("mr_owner_config", "tdx.mr_owner_config");
    for (int i = 0; i < 4; i++) {
      TDX_BODY.put("rtmr_" + i, "tdx.rtmr." + i);
    }
    TDX_BODY.put("report_data", "tdx.report_data");
    TDX_BODY.put("tee_tcb_svn2", "tdx.tee_tcb_svn2");
    TDX_BODY.put("mr_servicetd", "tdx.mr_servicetd");

    SNP.put("policy_abi_major", "snp.policy.abi_major");
    SNP.put("policy_abi_minor", "snp.policy.abi_minor");
    SNP.put("policy_smt_allowed", "snp.policy.smt");
    SNP.put("policy_migrate_ma", "snp.policy.migrate_ma");
    SNP.put("policy_debug_allowed", "snp.policy.debug");
    SNP.put("policy_single_socket", "snp.policy.single_socket");
    SNP.put("reported_tcb_bootloader", "snp.reported_tcb.bootloader");
    SNP.put("reported_tcb_tee", "snp.reported_tcb.tee");
    SNP.put("reported_tcb_snp", "snp.reported_tcb.snp");
    SNP.put("reported_tcb_microcode", "snp.reported_tcb.microcode");
    SNP.put("platform_tsme_enabled", "snp.platform_info.tsme");
    SNP.put("platform_smt_enabled", "snp.platform_info.smt");
    SNP.put("measurement", "snp.measurement");
    SNP.put("report_data", "snp.report_data");
    SNP.put("init_data", "snp.host_data");
    SNP.put("chip_id", "snp.chip_id");

    SAMPLE.put("svn", "sample.svn");
    SAMPLE.put("launch_digest", "sample.launch_digest");
    SAMPLE.put("debug", "sample.debug");
  }

  /** Trustee's tree for {@code tee} from Vouch's flat {@code claims}, if Vouch maps that TEE. */
  public static Optional<Map<String, Object>> of(Tee tee, Map<String, Object> claims) {
    Map<String, Object> tree = new LinkedHashMap<>();
    switch (tee) {
      case TDX -> tdx(claims, tree);
      case SGX -> tree.putAll(sgx(claims));
      case CCA -> tree.putAll(cca(claims));
      case SNP -> tree.putAll(pick(claims, SNP));
      case TPM -> {
        for (int i = 0; i < 24; i++) {
          copy(claims, "tpm.pcr.sha256." + i, tree, String.format("pcr%02d", i));
        }
        copy(claims, "tpm.extra_data", tree, "report_data");
      }
      case SAMPLE -> tree.putAll(pick(claims, SAMPLE));
      case AZ_SNP_VTPM, AZ_TDX_VTPM -> {
        return Optional.of(azure(tee, claims));
      }
      default -> {
        return Optional.empty();
      }
    }
    return Optional.of(tree);
  }

  /**
   * Trustee's SGX tree ({@code deps/verifier/src/sgx/claims.rs}): {@code header}, {@code body} (its
   * member names, {@code attributes.flags} included, are Trustee's), {@code report_data}, {@code
   * init_data} (CONFIGID), {@code platform_instance_id} and the QvE results. The body's four
   * reserved fields are not claims and are left out.
   */
  private static Map<String, Object> sgx(Map<String, Object> claims) {
    Map<String, Object> header = new LinkedHashMap<>();
    if (claims.get("sgx.quote_version") instanceof Number v) {
      header.put("version", PckClaims.leHex(v.longValue(), 2));
    }
    for (String f :
        List.of("att_key_type", "att_key_data_0", "qe_svn", "pce_svn", "vendor_id", "user_data")) {
      copy(claims, "sgx.quote.header." + f, header, f);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    copy(claims, "sgx.cpu_svn", body, "cpu_svn");
    copy(claims, "sgx.misc_select", body, "misc_select");
    copy(claims, "sgx.isv_ext_prod_id", body, "isv_ext_prod_id");
    if (claims.get("sgx.attributes") instanceof String a && a.length() == 32) {
      body.put("attributes.flags", a.substring(0, 16));
      body.put("attributes.xfrm", a.substring(16));
    }
    copy(claims, "sgx.mr_enclave", body, "mr_enclave");
    copy(claims, "sgx.mr_signer", body, "mr_signer");
    copy(claims, "sgx.config_id", body, "config_id");
    // Trustee prints the 16-bit numbers as their little-endian bytes
    for (String f : List.of("isv_prod_id", "isv_svn", "config_svn")) {
      if (claims.get("sgx." + f) instanceof Number n) {
        body.put(f, PckClaims.leHex(n.longValue(), 2));
      }
    }
    copy(claims, "sgx.isv_family_id", body, "isv_family_id");
    copy(claims, "sgx.report_data", body, "report_data");
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("header", header);
    tree.put("body", body);
    copy(claims, "sgx.report_data", tree, "report_data");
    copy(claims, "sgx.config_id", tree, "init_data");
    tree.putAll(dcapSupplemental("sgx", claims));
    return tree;
  }

  /**
   * What Trustee adds to both DCAP trees from the PCK certificate and Intel's QvE result: {@code
   * platform_instance_id}, {@code sgx_type}, {@code platform_provider_id}, the {@code is_*}
   * platform flags, {@code root_key_id}, and with collateral {@code tcb_status}, {@code
   * advisory_ids}, {@code tcb_date}, {@code tcb_eval_num}, {@code collateral_expiration_status}.
   */
  private static Map<String, Object> dcapSupplemental(String tee, Map<String, Object> claims) {
    Map<String, Object> out = new LinkedHashMap<>();
    copy(claims, tee + ".platform_instance_id", out, "platform_instance_id");
    copy(claims, tee + ".pck.sgx_type", out, "sgx_type");
    copy(claims, tee + ".pck.ppid", out, "platform_provider_id");
    copy(claims, tee + ".pck.dynamic_platform", out, "is_dynamic_platform");
    copy(claims, tee + ".pck.cached_keys", out, "is_cached_keys");
    copy(claims, tee + ".pck.smt_enabled", out, "is_smt_enabled");
    copy(claims, tee + ".root_key_id", out, "root_key_id");
    copy(claims, tee + ".tcb_status", out, "tcb_status");
    copy(claims, tee + ".advisory_ids", out, "advisory_ids");
    copy(claims, tee + ".tcb_date", out, "tcb_date");
    copy(claims, tee + ".tcb_evaluation_number", out, "tcb_eval_num");
    copy(claims, tee + ".collateral_expiration_status", out, "collateral_expiration_status");
    return out;
  }

  /**
   * Trustee's CCA tree ({@code deps/verifier/src/cca/local.rs}): the realm and platform claims its
   * local verifier reports, byte values in standard base64 as Trustee encodes them, and {@code
   * report_data} (the realm challenge) and {@code init_data} (the personalization value) in hex.
   */
  private static Map<String, Object> cca(Map<String, Object> claims) {
    Map<String, Object> realm = new LinkedHashMap<>();
    base64(claims, "cca.realm.challenge", realm, "cca-realm-challenge");
    List<Object> rems = new ArrayList<>();
    for (int i = 0; claims.get("cca.realm.rem." + i) instanceof String rem; i++) {
      rems.add(base64(rem));
    }
    realm.put("cca-realm-extensible-measurements", rems);
    copy(claims, "cca.realm.hash_algo", realm, "cca-realm-hash-algo-id");
    base64(claims, "cca.realm.rim", realm, "cca-realm-initial-measurement");
    base64(claims, "cca.realm.personalization_value", realm, "cca-realm-personalization-value");
    Map<String, Object> platform = new LinkedHashMap<>();
    base64(claims, "cca.platform.instance_id", platform, "cca-platform-instance-id");
    base64(claims, "cca.platform.implementation_id", platform, "cca-platform-implementation-id");
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("realm", realm);
    tree.put("platform", platform);
    copy(claims, "cca.realm.challenge", tree, "report_data");
    copy(claims, "cca.realm.personalization_value", tree, "init_data");
    return tree;
  }

  private static void base64(
      Map<String, Object> claims, String vouch, Map<String, Object> out, String trustee) {
    if (claims.get(vouch) instanceof String hex) {
      out.put(trustee, base64(hex));
    }
  }

  /** Standard base64 of the bytes {@code hex} spells, as Trustee writes byte claims it encodes. */
  private static String base64(String hex) {
    return Base64.getEncoder().encodeToString(Hex.decode(hex));
  }

  /** Trustee's TD attribute flags, an object of booleans in Trustee's order. */
  private static Map<String, Object> tdAttributes(Map<String, Object> claims) {
    Map<String, Object> flags = new LinkedHashMap<>();
    copy(claims, "tdx.debug", flags, "debug");
    copy(claims, "tdx.septve_disable", flags, "septve_disable");
    copy(claims, "tdx.protection_keys", flags, "protection_keys");
    copy(claims, "tdx.key_locker", flags, "key_locker");
    copy(claims, "tdx.perfmon", flags, "perfmon");
    return flags;
  }

  private static void tdx(Map<String, Object> claims, Map<String, Object> tree) {
    Map<String, Object> header = new LinkedHashMap<>();
    if (claims.get("tdx.quote_version") instanceof Number v) {
      header.put("version", PckClaims.leHex(v.longValue(), 2));
    }
    for (String f : List.of("att_key_type", "tee_type", "reserved", "vendor_id", "user_data")) {
      copy(claims, "tdx.quote.header." + f, header, f);
    }
    Map<String, Object> body = pick(claims, TDX_BODY);
    Map<String, Object> quote = new LinkedHashMap<>();
    quote.put("header", header);
    quote.put("body", body);
    tree.put("quote", quote);
    tree.put("td_attributes", tdAttributes(claims));
    copy(claims, "tdx.report_data", tree, "report_data");
    // Trustee's TDX init_data is MRCONFIGID
    copy(claims, "tdx.mr_config_id", tree, "init_data");
    tree.putAll(dcapSupplemental("tdx", claims));
  }

  /**
   * Trustee's {@code az-snp-vtpm} and {@code az-tdx-vtpm} trees ({@code deps/verifier/src/
   * az_snp_vtpm/mod.rs}): the hardware part (for SNP {@code parse_tee_evidence_az}, which writes
   * every value as a string and the measurement in base64; for TDX the TDX tree), then {@code
   * tpm.pcrNN}, with {@code report_data} the vTPM quote's nonce and {@code init_data} PCR 8, both
   * hex, replacing the hardware report's.
   */
  private static Map<String, Object> azure(Tee tee, Map<String, Object> claims) {
    Map<String, Object> tree = new LinkedHashMap<>();
    if (tee == Tee.AZ_TDX_VTPM) {
      tdx(claims, tree);
    } else {
      pick(claims, SNP).forEach((k, v) -> tree.put(k, String.valueOf(v)));
      tree.remove("chip_id"); // parse_tee_evidence_az has no chip_id
      // parse_tee_evidence_az writes the report's byte fields in base64
      for (String k : new String[] {"measurement", "report_data", "init_data"}) {
        tree.computeIfPresent(k, (n, hex) -> base64((String) hex));
      }
    }
    Map<String, Object> tpm = new LinkedHashMap<>();
    for (int i = 0; i < 24; i++) {
      copy(claims, "tpm.pcr.sha256." + i, tpm, String.format("pcr%02d", i));
    }
    tree.put("tpm", tpm);
    copy(claims, "tpm.pcr.sha256.8", tree, "init_data");
    copy(claims, "tpm.extra_data", tree, "report_data");
    return tree;
  }

  private static Map<String, Object> pick(Map<String, Object> claims, Map<String, String> names) {
    Map<String, Object> out = new LinkedHashMap<>();
    names.forEach((trustee, vouch) -> copy(claims, vouch, out, trustee));
    return out;
  }

  private static void copy(
      Map<String, Object> claims, String vouch, Map<String, Object> out, String trustee) {
    Object v = claims.get(vouch);
    if (v != null) {
      out.put(trustee, v);
    }
  }
}
