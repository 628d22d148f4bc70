package dev.vouch.evidence.sgx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.dcap.CollateralSource;
import dev.vouch.evidence.dcap.DcapCollateral;
import dev.vouch.evidence.dcap.DcapQuoteVerifier;
import dev.vouch.evidence.dcap.EnclaveReport;
import dev.vouch.evidence.dcap.PckClaims;
import dev.vouch.evidence.dcap.QuoteHeader;
import dev.vouch.evidence.dcap.TcbEvaluation;
import dev.vouch.evidence.dcap.VerifiedQuote;
import java.io.IOException;
import java.util.Base64;
import java.util.Optional;

/**
 * Verifies Intel SGX DCAP evidence: an ECDSA quote (v3, or v4/v5 with an enclave report body), raw
 * or as Trustee's JSON {@code {"quote": base64}}, with Intel collateral from {@link
 * Expectations#collateral()}. Checks are those of {@link DcapQuoteVerifier}. A debug enclave
 * verifies with {@link SgxClaims#DEBUG} true: policies decide. Thread-safe.
 */
public final class SgxEvidenceVerifier implements EvidenceVerifier {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final DcapQuoteVerifier quotes;
  private final Optional<CollateralSource> source;

  /** Production Intel root; collateral required. */
  public SgxEvidenceVerifier() {
    this(DcapQuoteVerifier.defaults());
  }

  /** With a configured DCAP verifier (other root, collateral optional). */
  public SgxEvidenceVerifier(DcapQuoteVerifier quotes) {
    this(quotes, Optional.empty());
  }

  /**
   * With a collateral source (a PCCS) asked whenever the expectations carry no Intel collateral.
   */
  public SgxEvidenceVerifier(DcapQuoteVerifier quotes, Optional<CollateralSource> source) {
    this.quotes = quotes;
    this.source = source;
  }

  @Override
  public Tee tee() {
    return Tee.SGX;
  }

  /** An enclave report's REPORTDATA is 64 bytes; SGX has no init data field. */
  @Override
  public int reportDataLength() {
    return 64;
  }

  @Override
  public VerifiedEvidence verify(byte[] evidence, Expectations expected)
      throws VerificationException {
    byte[] quote = quoteOf(evidence);
    // the kind first: a TDX quote sent as sgx is the caller's mistake, not missing collateral
    requireSgx(quote);
    return verifyQuote(quote, expected, quotes.collateral(expected.collateral(), source, quote));
  }

  private static void requireSgx(byte[] quote) throws VerificationException {
    if (dev.vouch.evidence.dcap.DcapQuote.parse(quote).enclaveReport().isEmpty()) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "a TDX quote is not SGX evidence (use --tee tdx)");
    }
  }

  /** Verifies against collateral the caller parsed (or fetched) already. */
  public VerifiedEvidence verify(byte[] evidence, Expectations expected, DcapCollateral collateral)
      throws VerificationException {
    return verifyQuote(quoteOf(evidence), expected, collateral);
  }

  private VerifiedEvidence verifyQuote(
      byte[] quote, Expectations expected, DcapCollateral collateral) throws VerificationException {
    requireSgx(quote);
    VerifiedQuote v = quotes.verify(quote, expected.nonce(), expected.at(), collateral);
    EnclaveReport e =
        v.quote()
            .enclaveReport()
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.UNSUPPORTED, "a TDX quote is not SGX evidence (use --tee tdx)"));
    return new VerifiedEvidence(Tee.SGX, claims(v, e));
  }

  private static byte[] quoteOf(byte[] evidence) throws VerificationException {
    int i = 0;
    while (i < evidence.length && Character.isWhitespace(evidence[i])) {
      i++;
    }
    if (i == evidence.length || evidence[i] != '{') {
      return evidence;
    }
    try {
      JsonNode q = MAPPER.readTree(evidence).get("quote");
      if (q == null || !q.isTextual()) {
        throw new VerificationException(Failure.MALFORMED, "SGX evidence JSON lacks \"quote\"");
      }
      return Base64.getDecoder().decode(q.textValue());
    } catch (IOException | IllegalArgumentException e) {
      throw new VerificationException(Failure.MALFORMED, "SGX evidence JSON does not parse");
    }
  }

  static Claims claims(VerifiedQuote v, EnclaveReport e) {
    Claims.Builder c = Claims.builder();
    c.put(SgxClaims.QUOTE_VERSION, v.quote().header().version());
    c.put(SgxClaims.MR_ENCLAVE, Hex.encode(e.mrEnclave()));
    c.put(SgxClaims.MR_SIGNER, Hex.encode(e.mrSigner()));
    c.put(SgxClaims.ISV_PROD_ID, e.isvProdId());
    c.put(SgxClaims.ISV_SVN, e.isvSvn());
    c.put(SgxClaims.ATTRIBUTES, Hex.encode(e.attributes()));
    c.put(SgxClaims.DEBUG, e.debug());
    c.put(SgxClaims.MISC_SELECT, Hex.encode(e.miscSelect()));
    c.put(SgxClaims.CONFIG_ID, Hex.encode(e.configId()));
    c.put(SgxClaims.CONFIG_SVN, e.configSvn());
    c.put(SgxClaims.REPORT_DATA, Hex.encode(e.reportData()));
    c.put(SgxClaims.CPU_SVN, Hex.encode(e.cpuSvn()));
    c.put(SgxClaims.FMSPC, Hex.encode(v.pck().fmspc()));
    c.put(SgxClaims.PCE_SVN, v.pck().pceSvn());
    c.put(SgxClaims.ISV_EXT_PROD_ID, Hex.encode(e.isvExtProdId()));
    c.put(SgxClaims.ISV_FAMILY_ID, Hex.encode(e.isvFamilyId()));
    // Trustee's names for the v3 header: tee_type is att_key_data_0, the reserved bytes QE/PCE SVN
    QuoteHeader h = v.quote().header();
    c.put(SgxClaims.HEADER_PREFIX + "att_key_type", PckClaims.leHex(h.attestationKeyType(), 2));
    c.put(SgxClaims.HEADER_PREFIX + "att_key_data_0", PckClaims.leHex(h.teeType(), 4));
    c.put(SgxClaims.HEADER_PREFIX + "qe_svn", PckClaims.leHex(h.qeSvn(), 2));
    c.put(SgxClaims.HEADER_PREFIX + "pce_svn", PckClaims.leHex(h.pceSvn(), 2));
    c.put(SgxClaims.HEADER_PREFIX + "vendor_id", Hex.encode(h.qeVendorId()));
    c.put(SgxClaims.HEADER_PREFIX + "user_data", Hex.encode(h.userData()));
    PckClaims.put(c, "sgx", v);
    c.put(SgxClaims.REVOCATION_CHECKED, v.revocationChecked());
    if (v.tcb().isPresent()) {
      TcbEvaluation t = v.tcb().get();
      c.put(SgxClaims.TCB_STATUS, t.status().wireName());
      c.put(SgxClaims.ADVISORY_IDS, t.advisoryIds());
      c.put(SgxClaims.TCB_DATE, t.tcbDate().toString());
      c.put(SgxClaims.TCB_EVALUATION_NUMBER, t.tcbEvaluationDataNumber());
      dev.vouch.evidence.dcap.ExpiredCollateral.putClaims(c, "sgx", v);
    }
    return c.build();
  }
}
