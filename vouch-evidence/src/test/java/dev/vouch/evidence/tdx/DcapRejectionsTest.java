package dev.vouch.evidence.tdx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.dcap.DcapCollateral;
import dev.vouch.evidence.dcap.DcapQuote;
import dev.vouch.evidence.dcap.DcapQuoteVerifier;
import dev.vouch.evidence.dcap.IntelPki;
import dev.vouch.evidence.dcap.TcbEvaluation;
import dev.vouch.evidence.dcap.TcbEvaluator;
import dev.vouch.evidence.dcap.TcbStatus;
import dev.vouch.evidence.dcap.VerifiedQuote;
import dev.vouch.evidence.sgx.SgxEvidenceVerifier;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Negative and edge cases over the real TDX and SGX vectors, with precise failure codes. */
class DcapRejectionsTest {
  private static final String TDX = "dcap-qvl/tdx_quote";
  private static final String SGX = "sgx/sgx_quote";
  private static final Instant TDX_AT = TdxVectors.verificationTime(TDX);

  private static Expectations at(Instant t, String... collateral) {
    return new Expectations(
        Optional.empty(), t, java.util.Arrays.stream(collateral).map(TdxVectors::bytes).toList());
  }

  private static void assertRejected(
      EvidenceVerifierCall call, Failure failure, String messagePart) {
    assertThatThrownBy(call::run)
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining(messagePart)
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(failure);
  }

  interface EvidenceVerifierCall {
    void run() throws Exception;
  }

  @Test
  void rejectsTheQuoteChainedToThePreProductionRoot() {
    byte[] q = TdxVectors.bytes("cc-api/quote.bin");
    assertRejected(
        () -> new TdxEvidenceVerifier().verify(q, at(Instant.parse("2024-01-01T00:00:00Z"))),
        Failure.CHAIN_UNTRUSTED,
        "pinned");
  }

  @Test
  void reportsCollateralPastTheNextUpdateOfThePckCrlAndRefusesItByDefault() throws Exception {
    // the PCK CRL is the first item to lapse: 2025-07-19 10:00:35; its signature still verifies
    Instant after = Instant.parse("2025-07-19T10:00:36Z");
    var v =
        new TdxEvidenceVerifier()
            .verify(TdxVectors.bytes(TDX), at(after, "dcap-qvl/tdx_quote_collateral.json"));
    assertThat(v.claims().get("tdx.collateral_expiration_status")).isEqualTo("1");
    assertThat(v.claims().get("tdx.collateral_expired_since")).isEqualTo("2025-07-19T10:00:35Z");
    assertThat(v.claims().get("tdx.collateral_overdue_seconds")).isEqualTo(1L);
    assertRejected(
        () -> dev.vouch.evidence.dcap.ExpiredCollateral.refuse(v),
        Failure.COLLATERAL_EXPIRED,
        "expired at 2025-07-19T10:00:35Z");
  }

  @Test
  void rejectsTcbInfoBeforeItWasIssued() {
    // CRLs are current from 2025-06-19 10:00:35; the TCB info only from 10:16:03
    Instant before = Instant.parse("2025-06-19T10:10:00Z");
    assertRejected(
        () ->
            new TdxEvidenceVerifier()
                .verify(TdxVectors.bytes(TDX), at(before, "dcap-qvl/tdx_quote_collateral.json")),
        Failure.COLLATERAL_EXPIRED,
        "TCB info");
  }

  @Test
  void rejectsCertificatesOutsideTheirValidity() {
    assertRejected(
        () ->
            new TdxEvidenceVerifier()
                .verify(
                    TdxVectors.bytes(TDX),
                    at(
                        Instant.parse("2045-01-01T00:00:00Z"),
                        "dcap-qvl/tdx_quote_collateral.json")),
        Failure.CERT_EXPIRED,
        "PCK");
    assertRejected(
        () ->
            new TdxEvidenceVerifier()
                .verify(
                    TdxVectors.bytes(TDX),
                    at(
                        Instant.parse("2015-01-01T00:00:00Z"),
                        "dcap-qvl/tdx_quote_collateral.json")),
        Failure.CERT_EXPIRED,
        "Root CA");
  }

  @Test
  void rejectsCollateralForAnotherPlatform() {
    assertRejected(
        () ->
            new TdxEvidenceVerifier()
                .verify(TdxVectors.bytes(TDX), at(TDX_AT, "sgx/sgx_quote_collateral.json")),
        Failure.COLLATERAL_MISSING,
        "CRL");
    List<byte[]> split = new java.util.ArrayList<>(splitBundle());
    split.remove(0); // the TCB info for this FMSPC
    split.add(TdxVectors.bytes("trustee/tcbInfo.json")); // another FMSPC's
    assertRejected(
        () ->
            new TdxEvidenceVerifier()
                .verify(TdxVectors.bytes(TDX), at(TDX_AT).withCollateral(split)),
        Failure.COLLATERAL_MISSING,
        "FMSPC b0c06f000000");
  }

  @Test
  void rejectsCollateralWithoutAnIntelTcbSigningCertificate() throws Exception {
    byte[] noChains = bundleWithout("tcb_info_issuer_chain", "qe_identity_issuer_chain");
    assertRejected(
        () ->
            new TdxEvidenceVerifier()
                .verify(TdxVectors.bytes(TDX), at(TDX_AT).withCollateral(List.of(noChains))),
        Failure.CHAIN_UNTRUSTED,
        "TCB signing");
  }

  /** The dcap-qvl bundle as PCS-shaped files: TCB info, QE identity, chain, root CRL, PCK CRL. */
  private static List<byte[]> splitBundle() {
    try {
      JsonNode b =
          new ObjectMapper().readTree(TdxVectors.bytes("dcap-qvl/tdx_quote_collateral.json"));
      byte[] tcb =
          ("{\"tcbInfo\":"
                  + b.get("tcb_info").asText()
                  + ",\"signature\":\""
                  + b.get("tcb_info_signature").asText()
                  + "\"}")
              .getBytes(StandardCharsets.UTF_8);
      byte[] qe =
          ("{\"enclaveIdentity\":"
                  + b.get("qe_identity").asText()
                  + ",\"signature\":\""
                  + b.get("qe_identity_signature").asText()
                  + "\"}")
              .getBytes(StandardCharsets.UTF_8);
      byte[] chain = b.get("tcb_info_issuer_chain").asText().getBytes(StandardCharsets.US_ASCII);
      byte[] rootCrlDer = Hex.decode(b.get("root_ca_crl").asText());
      byte[] pckCrlPem =
          ("-----BEGIN X509 CRL-----\n"
                  + Base64.getMimeEncoder().encodeToString(Hex.decode(b.get("pck_crl").asText()))
                  + "\n-----END X509 CRL-----\n")
              .getBytes(StandardCharsets.US_ASCII);
      return List.of(tcb, qe, chain, rootCrlDer, pckCrlPem);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void acceptsCollateralSplitIntoPcsShapedFilesUnderAnyNames() throws Exception {
    List<byte[]> files = new java.util.ArrayList<>(splitBundle());
    files.add(0, "unrelated notes".getBytes(StandardCharsets.US_ASCII));
    java.util.Collections.reverse(files);
    VerifiedEvidence v =
        new TdxEvidenceVerifier().verify(TdxVectors.bytes(TDX), at(TDX_AT).withCollateral(files));
    assertThat(v.claims().get(TdxClaims.TCB_STATUS)).isEqualTo("UpToDate");
  }

  @Test
  void theReportDataMustBeTheNonceFollowedByZeros() throws Exception {
    byte[] quote = TdxVectors.bytes(SGX);
    Instant t = TdxVectors.verificationTime(SGX);
    List<byte[]> c = List.of(TdxVectors.bytes("sgx/sgx_quote_collateral.json"));
    byte[] hello = "Hello, world!".getBytes(StandardCharsets.US_ASCII);
    VerifiedEvidence v =
        new SgxEvidenceVerifier().verify(quote, new Expectations(Optional.of(hello), t, c));
    assertThat(v.claims().get("sgx.report_data").toString()).startsWith(Hex.encode(hello));
    assertRejected(
        () ->
            new SgxEvidenceVerifier()
                .verify(quote, new Expectations(Optional.of("Hello".getBytes()), t, c)),
        Failure.REPORT_DATA_MISMATCH,
        "nonce");
    assertRejected(
        () ->
            new SgxEvidenceVerifier()
                .verify(quote, new Expectations(Optional.of("Jello, world!".getBytes()), t, c)),
        Failure.REPORT_DATA_MISMATCH,
        "nonce");
  }

  @Test
  void eachVerifierRefusesTheOtherKindsQuote() {
    assertRejected(
        () ->
            new SgxEvidenceVerifier()
                .verify(TdxVectors.bytes(TDX), at(TDX_AT, "dcap-qvl/tdx_quote_collateral.json")),
        Failure.UNSUPPORTED,
        "tdx");
    Instant t = TdxVectors.verificationTime(SGX);
    assertRejected(
        () ->
            new TdxEvidenceVerifier()
                .verify(TdxVectors.bytes(SGX), at(t, "sgx/sgx_quote_collateral.json")),
        Failure.UNSUPPORTED,
        "sgx");
  }

  @Test
  void trusteeJsonEvidenceCarriesTheSameQuote() throws Exception {
    String json =
        "{\"quote\":\""
            + Base64.getEncoder().encodeToString(TdxVectors.bytes(TDX))
            + "\",\"cc_eventlog\":null}";
    VerifiedEvidence v =
        new TdxEvidenceVerifier()
            .verify(
                json.getBytes(StandardCharsets.UTF_8),
                at(TDX_AT, "dcap-qvl/tdx_quote_collateral.json"));
    assertThat(v.claims().get(TdxClaims.MR_TD))
        .isEqualTo(TdxVectors.expected(TDX).get("body").get("mr_td").asText());
    assertThat(v.claims().get(TdxClaims.CCEL_VERIFIED)).isEqualTo(false);
  }

  @Test
  void saysWhetherThePckChainWasCheckedAgainstIntelsCrls() throws Exception {
    // with the dcap-qvl collateral (root and PCK CRLs included) revocation is checked
    VerifiedEvidence checked =
        new TdxEvidenceVerifier()
            .verify(TdxVectors.bytes(TDX), at(TDX_AT, "dcap-qvl/tdx_quote_collateral.json"));
    assertThat(checked.claims().get(TdxClaims.REVOCATION_CHECKED)).isEqualTo(true);
    // a verifier built not to require collateral goes on without it, and says so
    DcapQuoteVerifier lenient = new DcapQuoteVerifier(IntelPki.production(), false);
    VerifiedEvidence unchecked =
        new TdxEvidenceVerifier(lenient).verify(TdxVectors.bytes(TDX), at(TDX_AT));
    assertThat(unchecked.claims().get(TdxClaims.REVOCATION_CHECKED)).isEqualTo(false);
    // collateral without the PCK CRL is refused, not verified without it
    List<byte[]> withoutPckCrl = new java.util.ArrayList<>(splitBundle());
    withoutPckCrl.remove(withoutPckCrl.size() - 1);
    assertRejected(
        () ->
            new TdxEvidenceVerifier()
                .verify(TdxVectors.bytes(TDX), at(TDX_AT).withCollateral(withoutPckCrl)),
        Failure.COLLATERAL_MISSING,
        "PCK Platform CA");
  }

  @Test
  void aDebugTdVerifiesAndSaysSo() throws Exception {
    // trustee tdx_quote_4 has TD_ATTRIBUTES 01..: the debug bit
    DcapQuoteVerifier lenient = new DcapQuoteVerifier(IntelPki.production(), false);
    VerifiedEvidence v =
        new TdxEvidenceVerifier(lenient)
            .verify(
                TdxVectors.bytes("trustee/tdx_quote_4.dat"),
                at(Instant.parse("2025-01-01T00:00:00Z")));
    assertThat(v.claims().get(TdxClaims.DEBUG)).isEqualTo(true);
    assertThat(v.claims().get(TdxClaims.TCB_STATUS)).isNull();
    VerifiedEvidence notDebug =
        new TdxEvidenceVerifier()
            .verify(TdxVectors.bytes(TDX), at(TDX_AT, "dcap-qvl/tdx_quote_collateral.json"));
    assertThat(notDebug.claims().get(TdxClaims.DEBUG)).isEqualTo(false);
  }

  @Test
  void trusteeQuote6IsOutOfDateByPceSvnWithAnUpToDateTdx03Module() throws Exception {
    // the assembled collateral's PCK CRL is stale at the recorded time, so the verifier rejects
    // the whole (see DcapVectorsTest); the TCB evaluation itself gives the recorded OutOfDate
    String sample = "trustee/tdx_quote_6.dat";
    JsonNode e = TdxVectors.expected(sample);
    DcapQuoteVerifier lenient = new DcapQuoteVerifier(IntelPki.production(), false);
    Instant t = TdxVectors.verificationTime(sample);
    VerifiedQuote v =
        lenient.verify(TdxVectors.bytes(sample), Optional.empty(), t, DcapCollateral.empty());
    DcapCollateral c =
        DcapCollateral.parse(List.of(TdxVectors.bytes("trustee/tdx_quote_6.collateral.json")));
    TcbEvaluation r =
        TcbEvaluator.evaluate(v.quote(), v.pck(), c.tcbInfos().get(0), c.qeIdentities().get(0));
    assertThat(r.status().wireName()).isEqualTo(e.get("final_status").asText());
    assertThat(r.platformStatus()).isEqualTo(TcbStatus.OUT_OF_DATE);
    assertThat(r.tcbDate()).isEqualTo(Instant.parse(e.get("platform_tcb").get("tcbDate").asText()));
    assertThat(r.tdxModuleId()).contains(e.get("tdx_module").get("id").asText());
    assertThat(r.tdxModuleStatus()).contains(TcbStatus.UP_TO_DATE);
    assertThat(r.qeStatus()).isEqualTo(TcbStatus.UP_TO_DATE);
    assertThat(r.advisoryIds()).isEmpty();
  }

  @Test
  void trusteeSignedJsonFilesAreRecognisedByContent() throws Exception {
    DcapCollateral c =
        DcapCollateral.parse(
            List.of(
                TdxVectors.bytes("trustee/tcbInfo.json"),
                TdxVectors.bytes("trustee/enclaveIdentity.json")));
    assertThat(c.tcbInfos()).singleElement().satisfies(i -> assertThat(i.isTdx()).isTrue());
    assertThat(c.qeIdentities()).singleElement().satisfies(q -> assertThat(q.isTdQe()).isTrue());
    // the signed bytes are exactly the tcbInfo object as served
    String file = new String(TdxVectors.bytes("trustee/tcbInfo.json"), StandardCharsets.UTF_8);
    assertThat(file)
        .contains(new String(c.tcbInfos().get(0).signedBytes(), StandardCharsets.UTF_8));
    assertThat(DcapQuote.parse(TdxVectors.bytes("trustee/tdx_quote_6.dat")).header().version())
        .isEqualTo(4);
  }

  private static byte[] bundleWithout(String... fields) {
    try {
      var tree =
          (com.fasterxml.jackson.databind.node.ObjectNode)
              new ObjectMapper().readTree(TdxVectors.bytes("dcap-qvl/tdx_quote_collateral.json"));
      for (String f : fields) {
        tree.remove(f);
      }
      return new ObjectMapper().writeValueAsBytes(tree);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
