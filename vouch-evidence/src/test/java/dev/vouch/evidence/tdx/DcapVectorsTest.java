package dev.vouch.evidence.tdx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.dcap.DcapQuote;
import dev.vouch.evidence.dcap.DcapQuoteVerifier;
import dev.vouch.evidence.dcap.EnclaveReport;
import dev.vouch.evidence.dcap.IntelPki;
import dev.vouch.evidence.dcap.TdReport;
import dev.vouch.evidence.dcap.VerifiedQuote;
import dev.vouch.evidence.sgx.SgxEvidenceVerifier;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every quote sample of vectors/tdx/expected.json gives exactly the recorded result. */
class DcapVectorsTest {
  private static final DcapQuoteVerifier NO_COLLATERAL_NEEDED =
      new DcapQuoteVerifier(IntelPki.production(), false);

  static List<String> quoteSamples() {
    return TdxVectors.quoteSamples();
  }

  static List<String> samplesWithCollateral() {
    return TdxVectors.quoteSamples().stream()
        .filter(s -> TdxVectors.expected(s).has("final_status"))
        .toList();
  }

  static List<String> samplesWithoutCollateral() {
    return TdxVectors.quoteSamples().stream()
        .filter(s -> !TdxVectors.expected(s).has("final_status"))
        .filter(s -> TdxVectors.expected(s).path("root_is_production_intel_root").asBoolean(true))
        .toList();
  }

  @ParameterizedTest
  @MethodSource("quoteSamples")
  void parsesHeaderBodyAndQeReportAsRecorded(String sample) throws Exception {
    JsonNode e = TdxVectors.expected(sample);
    DcapQuote q = DcapQuote.parse(TdxVectors.bytes(sample));
    JsonNode h = e.get("header");
    assertThat(q.header().version()).isEqualTo(h.get("version").asInt());
    assertThat(q.header().attestationKeyType()).isEqualTo(h.get("att_key_type").asInt());
    assertThat(q.header().teeType()).isEqualTo(Long.decode(h.get("tee_type").asText()));
    assertThat(q.header().qeSvn()).isEqualTo(h.get("qe_svn").asInt());
    assertThat(q.header().pceSvn()).isEqualTo(h.get("pce_svn").asInt());
    assertThat(Hex.encode(q.header().qeVendorId())).isEqualTo(h.get("qe_vendor_id").asText());
    assertThat(Hex.encode(q.header().userData())).isEqualTo(h.get("user_data").asText());
    JsonNode b = e.get("body");
    if (q.body() instanceof TdReport td) {
      assertThat(Hex.encode(td.mrTd())).isEqualTo(b.get("mr_td").asText());
      for (int i = 0; i < 4; i++) {
        assertThat(Hex.encode(td.rtmr(i))).isEqualTo(b.get("rtmr" + i).asText());
      }
      assertThat(Hex.encode(td.reportData())).isEqualTo(b.get("report_data").asText());
      assertThat(Hex.encode(td.teeTcbSvn())).isEqualTo(b.get("tee_tcb_svn").asText());
      if (b.has("mr_seam")) {
        assertThat(Hex.encode(td.mrSeam())).isEqualTo(b.get("mr_seam").asText());
        assertThat(Hex.encode(td.mrSignerSeam())).isEqualTo(b.get("mr_signer_seam").asText());
        assertThat(Hex.encode(td.seamAttributes())).isEqualTo(b.get("seam_attributes").asText());
        assertThat(Hex.encode(td.tdAttributes())).isEqualTo(b.get("td_attributes").asText());
        assertThat(Hex.encode(td.xfam())).isEqualTo(b.get("xfam").asText());
        assertThat(Hex.encode(td.mrConfigId())).isEqualTo(b.get("mr_config_id").asText());
        assertThat(Hex.encode(td.mrOwner())).isEqualTo(b.get("mr_owner").asText());
        assertThat(Hex.encode(td.mrOwnerConfig())).isEqualTo(b.get("mr_owner_config").asText());
      }
      if (e.has("body_type")) {
        assertThat(td.teeTcbSvn2().isPresent() ? "tdx15" : "tdx10")
            .isEqualTo(e.get("body_type").asText());
      }
    } else {
      EnclaveReport r = (EnclaveReport) q.body();
      assertThat(e.get("body_type").asText()).isEqualTo("sgx");
      assertThat(Hex.encode(r.cpuSvn())).isEqualTo(b.get("cpu_svn").asText());
      assertThat(Hex.encode(r.miscSelect())).isEqualTo(b.get("misc_select").asText());
      assertThat(Hex.encode(r.attributes())).isEqualTo(b.get("attributes").asText());
      assertThat(Hex.encode(r.mrEnclave())).isEqualTo(b.get("mr_enclave").asText());
      assertThat(Hex.encode(r.mrSigner())).isEqualTo(b.get("mr_signer").asText());
      assertThat(r.isvProdId()).isEqualTo(b.get("isv_prod_id").asInt());
      assertThat(r.isvSvn()).isEqualTo(b.get("isv_svn").asInt());
      assertThat(Hex.encode(r.reportData())).isEqualTo(b.get("report_data").asText());
    }
    if (e.has("qe_report")) {
      JsonNode qe = e.get("qe_report");
      assertThat(Hex.encode(q.qeReport().mrEnclave())).isEqualTo(qe.get("mr_enclave").asText());
      assertThat(Hex.encode(q.qeReport().mrSigner())).isEqualTo(qe.get("mr_signer").asText());
      assertThat(q.qeReport().isvProdId()).isEqualTo(qe.get("isv_prod_id").asInt());
      assertThat(q.qeReport().isvSvn()).isEqualTo(qe.get("isv_svn").asInt());
      assertThat(Hex.encode(q.qeReport().miscSelect())).isEqualTo(qe.get("misc_select").asText());
      assertThat(Hex.encode(q.qeReport().attributes())).isEqualTo(qe.get("attributes").asText());
    }
  }

  @ParameterizedTest
  @MethodSource("samplesWithoutCollateral")
  void verifiesSignaturesAndPckChainAndReadsTheSgxExtension(String sample) throws Exception {
    JsonNode e = TdxVectors.expected(sample);
    Instant at = Instant.parse("2025-06-01T00:00:00Z");
    VerifiedQuote v =
        NO_COLLATERAL_NEEDED.verify(
            TdxVectors.bytes(sample),
            Optional.empty(),
            at,
            dev.vouch.evidence.dcap.DcapCollateral.empty());
    assertThat(v.tcb()).isEmpty();
    JsonNode ext = e.get("pck_cert_sgx_extensions");
    List<Integer> comps = new ArrayList<>();
    ext.get("tcb_comp_svn").forEach(n -> comps.add(n.asInt()));
    assertThat(v.pck().tcbComponents()).containsExactly(comps.stream().mapToInt(i -> i).toArray());
    assertThat(v.pck().pceSvn()).isEqualTo(ext.get("pcesvn").asInt());
    assertThat(Hex.encode(v.pck().cpuSvn())).isEqualTo(ext.get("cpusvn").asText());
    assertThat(Hex.encode(v.pck().pceId())).isEqualTo(ext.get("pceid").asText());
    assertThat(Hex.encode(v.pck().fmspc())).isEqualTo(ext.get("fmspc").asText());
    assertThat(v.pck().sgxType()).isEqualTo(ext.get("sgx_type").asInt());

    boolean tdx = e.get("header").get("tee_type").asText().equals("0x81");
    String kind = tdx ? "tdx" : "sgx";
    VerifiedEvidence claims =
        (tdx
                ? new TdxEvidenceVerifier(NO_COLLATERAL_NEEDED)
                : new SgxEvidenceVerifier(NO_COLLATERAL_NEEDED))
            .verify(TdxVectors.bytes(sample), new Expectations(Optional.empty(), at));
    JsonNode body = e.get("body");
    for (var it = body.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      String claim = kind + "." + field.replaceFirst("^rtmr(\\d)$", "rtmr.$1");
      assertThat(String.valueOf(claims.claims().get(claim)))
          .as(claim)
          .isEqualTo(body.get(field).asText());
    }
    assertThat(claims.claims().get(kind + ".tcb_status")).isNull();
  }

  @ParameterizedTest
  @MethodSource("samplesWithoutCollateral")
  void refusesAQuoteWithoutCollateralByDefault(String sample) {
    Expectations x = new Expectations(Optional.empty(), Instant.parse("2025-06-01T00:00:00Z"));
    byte[] quote = TdxVectors.bytes(sample);
    boolean tdx = TdxVectors.expected(sample).get("header").get("tee_type").asText().equals("0x81");
    assertThatThrownBy(
            () -> (tdx ? new TdxEvidenceVerifier() : new SgxEvidenceVerifier()).verify(quote, x))
        .isInstanceOf(VerificationException.class)
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.COLLATERAL_MISSING);
  }

  @ParameterizedTest
  @MethodSource("samplesWithCollateral")
  void givesTheRecordedTcbStatusWithItsCollateral(String sample) throws Exception {
    JsonNode e = TdxVectors.expected(sample);
    Expectations x =
        new Expectations(
            Optional.empty(),
            TdxVectors.verificationTime(sample),
            List.of(TdxVectors.bytes(TdxVectors.collateralFile(sample))));
    byte[] quote = TdxVectors.bytes(sample);
    boolean tdx = e.get("header").get("tee_type").asText().equals("0x81");
    String status = e.get("final_status").asText();
    boolean stalePckCrl = !e.get("pck_crl").get("time_valid").asBoolean();
    if (stalePckCrl) {
      // the assembled collateral's PCK CRL is out of date at the recorded time (see "caveat"):
      // reported as Trustee reports it, with the recorded TCB status, and refused by default
      VerifiedEvidence stale =
          tdx
              ? new TdxEvidenceVerifier().verify(quote, x)
              : new SgxEvidenceVerifier().verify(quote, x);
      String kind = tdx ? "tdx" : "sgx";
      assertThat(stale.claims().get(kind + ".collateral_expiration_status")).isEqualTo("1");
      assertThat(stale.claims().get(kind + ".collateral_expired_since"))
          .isEqualTo("2025-07-19T10:00:35Z");
      assertThat(stale.claims().get(kind + ".tcb_status")).isEqualTo(status);
      assertThatThrownBy(() -> dev.vouch.evidence.dcap.ExpiredCollateral.refuse(stale))
          .isInstanceOf(VerificationException.class)
          .extracting(t -> ((VerificationException) t).failure())
          .isEqualTo(Failure.COLLATERAL_EXPIRED);
      return;
    }
    if (status.equals("NoMatchingTcbLevel")) {
      assertFailure(quote, x, tdx, Failure.TCB_OUT_OF_DATE, "NoMatchingTcbLevel");
      return;
    }
    VerifiedEvidence v =
        tdx
            ? new TdxEvidenceVerifier().verify(quote, x)
            : new SgxEvidenceVerifier().verify(quote, x);
    String kind = tdx ? "tdx" : "sgx";
    assertThat(v.claims().get(kind + ".tcb_status")).isEqualTo(status);
    assertThat(v.claims().get(kind + ".collateral_expiration_status")).isEqualTo("0");
    // the collateral carries Intel's root and PCK CRLs, so the PCK path was checked against them
    assertThat(v.claims().get(kind + ".revocation_checked")).isEqualTo(true);
    List<String> advisories = new ArrayList<>();
    e.get("advisoryIDs").forEach(n -> advisories.add(n.asText()));
    assertThat(v.claims().get(kind + ".advisory_ids")).isEqualTo(advisories);
    assertThat(v.claims().get(kind + ".tcb_date"))
        .isEqualTo(e.get("platform_tcb").get("tcbDate").asText());
    assertThat(v.claims().get(kind + ".fmspc"))
        .isEqualTo(e.get("pck_cert_sgx_extensions").get("fmspc").asText());
    assertThat(v.claims().get(kind + ".report_data"))
        .isEqualTo(e.get("body").get("report_data").asText());
    // every recorded body field is a claim with the recorded value
    JsonNode body = e.get("body");
    for (var it = body.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      String claim = kind + "." + field.replaceFirst("^rtmr(\\d)$", "rtmr.$1");
      Object value = v.claims().get(claim);
      assertThat(value).as(claim).isNotNull();
      assertThat(String.valueOf(value)).as(claim).isEqualTo(body.get(field).asText());
    }
    assertThat(v.claims().get(kind + ".debug")).isEqualTo(false);
  }

  private static void assertFailure(
      byte[] quote, Expectations x, boolean tdx, Failure failure, String message) {
    assertThatThrownBy(
            () -> (tdx ? new TdxEvidenceVerifier() : new SgxEvidenceVerifier()).verify(quote, x))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining(message)
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(failure);
  }
}
