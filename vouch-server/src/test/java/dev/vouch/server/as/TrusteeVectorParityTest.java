package dev.vouch.server.as;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.cca.CcaEvidenceVerifier;
import dev.vouch.evidence.dcap.DcapQuoteVerifier;
import dev.vouch.evidence.dcap.IntelPki;
import dev.vouch.evidence.sgx.SgxEvidenceVerifier;
import dev.vouch.evidence.snp.SnpEvidenceVerifier;
import dev.vouch.evidence.tdx.CcelLog;
import dev.vouch.evidence.tdx.TdxEvidenceVerifier;
import dev.vouch.evidence.tpm.eventlog.SpecIdEvent;
import dev.vouch.evidence.tpm.eventlog.TcgEvent;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Trustee's own verifier vectors (deps/verifier/test_data and attestation-service, Trustee @
 * 78962cd416dc; provenance in vectors/PROVENANCE.md) run through Vouch's verifiers and {@link
 * TrusteeClaimTree}, compared claim by claim with what Trustee emits for them. Claims Vouch does
 * not emit are listed per vector (the deliberate differences, also in
 * docs/trustee-compatibility.md); a claim missing from Vouch's tree and not listed fails the test,
 * as does any value that differs.
 *
 * <p>DCAP quotes carry no Intel collateral of their own, so they are verified up to their PCK chain
 * (Trustee's parse tests check no collateral either); the SNP report is verified against its VCEK
 * and AMD's pinned Genoa chain without a CRL, as Trustee's verifier does.
 */
class TrusteeVectorParityTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * TDX (parse_tdx_claims): the parsed UEFI event log is not copied into Vouch's token; Vouch
   * replays the CCEL against the RTMRs and reports {@code tdx.ccel.*}. The log's content itself
   * agrees event by event ({@link #trusteesParsedCcelLogsAgreeEventByEvent}).
   */
  static final Set<String> TDX_DIFFERENCES = Set.of("/uefi_event_logs");

  /** SGX (parse_sgx_claims): the body's reserved bytes are not claims in Vouch. */
  static final Set<String> SGX_DIFFERENCES =
      Set.of("/body/reserved1", "/body/reserved2", "/body/reserved3", "/body/reserved4");

  /**
   * SGX QvE supplemental data Vouch does not report: collateral bookkeeping (issue and expiry dates
   * of the collateral used, CRL numbers).
   */
  static final Set<String> SGX_QVE_DIFFERENCES =
      Set.of(
          "/earliest_issue_date",
          "/latest_issue_date",
          "/earliest_expiration_date",
          "/pck_crl_num",
          "/root_ca_crl_num");

  /**
   * Claims of Trustee's example token that need the Intel collateral Trustee fetched live in 2025
   * (FMSPC 00606a000000); no public capture of it is held, so Vouch reports them only with
   * collateral (as {@code sgx.tcb_status} etc.) and they are not compared here.
   */
  static final Set<String> SGX_NEEDS_COLLATERAL =
      Set.of(
          "/tcb_status",
          "/advisory_ids",
          "/tcb_date",
          "/tcb_eval_num",
          "/collateral_expiration_status");

  private static byte[] resource(String name) throws Exception {
    try (InputStream in = TrusteeVectorParityTest.class.getResourceAsStream(name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  private static JsonNode json(String name) throws Exception {
    return JSON.readTree(resource(name));
  }

  private static JsonNode tree(VerifiedEvidence v) {
    Map<String, Object> tree = TrusteeClaimTree.of(v.tee(), v.claims().asMap()).orElseThrow();
    return JSON.valueToTree(tree);
  }

  /** JSON pointers of every leaf of {@code n} (member names may hold dots, as SGX's do). */
  private static List<String> leaves(JsonNode n, String prefix) {
    List<String> out = new ArrayList<>();
    if (!n.isObject()) {
      out.add(prefix);
      return out;
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      out.addAll(leaves(n.get(f), prefix + "/" + f.replace("~", "~0").replace("/", "~1")));
    }
    return out;
  }

  /**
   * Asserts every leaf of {@code expected} but those under {@code skipped} equal in {@code actual};
   * returns the pointers compared.
   */
  private static List<String> agree(JsonNode expected, JsonNode actual, Set<String> skipped) {
    List<String> compared = new ArrayList<>();
    for (String path : leaves(expected, "")) {
      if (skipped.stream().anyMatch(s -> path.equals(s) || path.startsWith(s + "/"))) {
        continue;
      }
      // as JSON text: 0 read as an int and 0 held as a long are the same claim
      assertThat(actual.at(path).toString()).as(path).isEqualTo(expected.at(path).toString());
      compared.add(path);
    }
    return compared;
  }

  /** The listed differences are each really absent from Vouch's tree (the list is not stale). */
  private static void absent(JsonNode actual, Set<String> differences) {
    for (String d : differences) {
      assertThat(actual.at(d).isMissingNode()).as("listed difference %s is emitted", d).isTrue();
    }
  }

  private static VerifiedEvidence tdx() throws Exception {
    return new TdxEvidenceVerifier(new DcapQuoteVerifier(IntelPki.production(), false))
        .verify(
            resource("/vectors/tdx/trustee/tdx_quote_4.dat"),
            new Expectations(Optional.empty(), Instant.parse("2025-01-01T00:00:00Z")));
  }

  private static VerifiedEvidence sgx(byte[] quote) throws Exception {
    return new SgxEvidenceVerifier(new DcapQuoteVerifier(IntelPki.production(), false))
        .verify(quote, new Expectations(Optional.empty(), Instant.parse("2023-06-01T00:00:00Z")));
  }

  @Test
  void trusteesTdxClaimsAgreeClaimByClaimButTheEventLog() throws Exception {
    JsonNode expected = json("/vectors/tdx/trustee/parse_tdx_claims_expected.json");
    JsonNode actual = tree(tdx());
    List<String> compared = agree(expected, actual, TDX_DIFFERENCES);
    absent(actual, TDX_DIFFERENCES);
    // header (6) + body (15, a TDX 1.0 body) + td_attributes (5) + report_data + init_data
    // + platform_instance_id (from the Platform CA-issued PCK certificate)
    assertThat(compared)
        .hasSize(29)
        .contains("/td_attributes/key_locker", "/quote/header/vendor_id", "/platform_instance_id");
  }

  @Test
  void trusteesSgxClaimsForTheOcclumQuoteAgreeClaimByClaim() throws Exception {
    JsonNode expected = json("/vectors/sgx/trustee/parse_sgx_claims_expected.json");
    JsonNode actual = tree(sgx(resource("/vectors/sgx/trustee/occlum_quote.dat")));
    List<String> compared = agree(expected, actual, SGX_DIFFERENCES);
    absent(actual, SGX_DIFFERENCES);
    // header (7) + body (17 - 4 reserved) + report_data + init_data + platform_instance_id
    assertThat(compared)
        .hasSize(23)
        .contains(
            "/header/att_key_data_0",
            "/body/attributes.flags",
            "/body/isv_prod_id",
            "/platform_instance_id");
  }

  @Test
  void trusteesExampleTokenAgreesOnTheSgxClaimsThatNeedNoCollateral() throws Exception {
    JsonNode expected =
        json("/vectors/sgx/trustee/example.token.json")
            .at("/submods/cpu0/ear.veraison.annotated-evidence/sgx");
    assertThat(expected.isObject()).isTrue();
    JsonNode actual = tree(sgx(resource("/vectors/sgx/trustee/occlum_quote.dat")));
    Set<String> skipped = new java.util.HashSet<>(SGX_DIFFERENCES);
    skipped.addAll(SGX_QVE_DIFFERENCES);
    skipped.addAll(SGX_NEEDS_COLLATERAL);
    List<String> compared = agree(expected, actual, skipped);
    absent(actual, SGX_DIFFERENCES);
    absent(actual, SGX_QVE_DIFFERENCES);
    // the PCK certificate's platform flags, type and PPID and the root key id, as Intel's QvE hands
    // them to Trustee
    assertThat(compared)
        .contains(
            "/sgx_type",
            "/platform_provider_id",
            "/is_dynamic_platform",
            "/is_cached_keys",
            "/is_smt_enabled",
            "/root_key_id")
        .hasSize(7 + 13 + 6);
  }

  @Test
  void trusteesSnpClaimsForItsEndToEndEvidenceAgreeClaimByClaim() throws Exception {
    JsonNode expected = json("/vectors/snp/trustee-e2e/parse_tee_evidence_expected.json");
    VerifiedEvidence v =
        new SnpEvidenceVerifier()
            .withoutRevocation()
            .verify(
                resource("/vectors/snp/trustee-e2e/evidence.json"),
                new Expectations(Optional.empty(), Instant.parse("2025-07-01T00:00:00Z")));
    assertThat(v.tee()).isEqualTo(Tee.SNP);
    List<String> compared = agree(expected, tree(v), Set.of());
    assertThat(compared).hasSize(16);
  }

  @Test
  void trusteesCcaTreeForItsExampleTokenAgreesClaimByClaim() throws Exception {
    JsonNode expected = json("/vectors/cca/trustee/cca_tree_expected.json");
    VerifiedEvidence v =
        new CcaEvidenceVerifier()
            .verify(
                resource("/vectors/cca/trustee/cca-example-token.cbor"),
                Expectations.none()
                    .withCollateral(List.of(resource("/vectors/cca/cpak-pub.json"))));
    JsonNode actual = tree(v);
    List<String> compared = agree(expected, actual, Set.of());
    // arrays compare whole: realm (5, the REMs as one) + platform (2) + report_data + init_data
    assertThat(compared).hasSize(9);
    assertThat(actual.at("/realm/cca-realm-extensible-measurements")).hasSize(4);
  }

  /**
   * Trustee's eventlog crate's expected parse of its CC event logs (deps/eventlog/test_data
   * *_out.json, the {@code uefi_event_logs} claim Trustee's TDX verifier emits): every event's
   * register index, type, digests and data equal what Vouch's CCEL parser decodes.
   */
  @Test
  void trusteesParsedCcelLogsAgreeEventByEvent() throws Exception {
    int total = 0;
    for (String name :
        List.of(
            "CCEL_data_ovmf", "CCEL_data_grub", "CCEL_data_grub_gke", "CCEL_AAEL_alibabacloud")) {
      JsonNode expected =
          json("/vectors/tdx/trustee-ccel/" + name + "_out.json").get("uefi_event_logs");
      List<Map<String, Object>> actual = ccelEvents(resource("/vectors/tdx/trustee-ccel/" + name));
      assertThat(actual).as(name).hasSize(expected.size());
      for (int i = 0; i < expected.size(); i++) {
        JsonNode e = expected.get(i);
        Map<String, Object> a = actual.get(i);
        String at = name + " event " + i;
        assertThat(a.get("index")).as(at + " index").isEqualTo(e.get("index").asInt());
        assertThat(a.get("type_name")).as(at + " type").isEqualTo(e.get("type_name").asText());
        assertThat(a.get("digests")).as(at + " digests").isEqualTo(digests(e.get("digests")));
        assertThat(a.get("event")).as(at + " data").isEqualTo(e.get("event").asText());
      }
      total += expected.size();
    }
    assertThat(total).isGreaterThan(100);
  }

  /**
   * Vouch's decoding of a CCEL log in the fields Trustee's {@code uefi_event_logs} entries have;
   * Trustee leaves out the spec id header (the first, EV_NO_ACTION, entry).
   */
  private static List<Map<String, Object>> ccelEvents(byte[] log) throws Exception {
    List<Map<String, Object>> out = new ArrayList<>();
    for (TcgEvent e : CcelLog.parse(log).log().events()) {
      if (e instanceof SpecIdEvent) {
        continue;
      }
      Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("index", e.pcr());
      m.put("type_name", e.typeName());
      Map<String, String> d = new java.util.LinkedHashMap<>();
      e.digests().forEach((alg, v) -> d.put(alg.jcaName(), Hex.encode(v)));
      m.put("digests", d);
      m.put("event", Base64.getEncoder().encodeToString(e.data()));
      out.add(m);
    }
    return out;
  }

  private static Map<String, String> digests(JsonNode list) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    list.forEach(d -> out.put(d.get("alg").asText(), d.get("digest").asText()));
    return out;
  }

  @Test
  void aFlippedBitInTheOcclumQuoteBodyIsRefusedNotReported() throws Exception {
    byte[] quote = resource("/vectors/sgx/trustee/occlum_quote.dat");
    quote[48 + 64] ^= 0x01; // MRENCLAVE, under the attestation key's signature
    assertThatThrownBy(() -> sgx(quote))
        .isInstanceOf(VerificationException.class)
        .extracting(e -> ((VerificationException) e).failure())
        .isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void aTdxQuoteIsNotGivenAnSgxTree() throws Exception {
    assertThatThrownBy(() -> sgx(resource("/vectors/tdx/trustee/tdx_quote_4.dat")))
        .isInstanceOf(VerificationException.class)
        .extracting(e -> ((VerificationException) e).failure())
        .isEqualTo(Failure.UNSUPPORTED);
  }
}
