package dev.vouch.evidence.tdx;

import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.InitData;
import dev.vouch.evidence.dcap.CollateralSource;
import dev.vouch.evidence.dcap.DcapCollateral;
import dev.vouch.evidence.dcap.DcapQuoteVerifier;
import dev.vouch.evidence.dcap.PckClaims;
import dev.vouch.evidence.dcap.TcbEvaluation;
import dev.vouch.evidence.dcap.TdReport;
import dev.vouch.evidence.dcap.VerifiedQuote;
import java.util.Arrays;
import java.util.Optional;

/**
 * Verifies Intel TDX evidence: a v4 or v5 TD quote (raw, or in Trustee's JSON with an optional CC
 * event log) with Intel collateral from {@link Expectations#collateral()} (TCB info, QE identity,
 * CRLs, TCB signing chain, in any of the forms {@link DcapCollateral} recognises). Checks are those
 * of {@link DcapQuoteVerifier}; a CC event log, when present, must replay to all four RTMRs. A
 * debug TD verifies, with {@link TdxClaims#DEBUG} true: policies decide. Claims are named in {@link
 * TdxClaims}. Thread-safe; collateral and chains are cached by content.
 */
public final class TdxEvidenceVerifier implements EvidenceVerifier {
  private final DcapQuoteVerifier quotes;
  private final Optional<CollateralSource> source;

  /** Production Intel root; collateral required. */
  public TdxEvidenceVerifier() {
    this(DcapQuoteVerifier.defaults());
  }

  /** With a configured DCAP verifier (other root, collateral optional). */
  public TdxEvidenceVerifier(DcapQuoteVerifier quotes) {
    this(quotes, Optional.empty());
  }

  /**
   * With a collateral source (a PCCS) asked whenever the expectations carry no Intel collateral.
   */
  public TdxEvidenceVerifier(DcapQuoteVerifier quotes, Optional<CollateralSource> source) {
    this.quotes = quotes;
    this.source = source;
  }

  @Override
  public Tee tee() {
    return Tee.TDX;
  }

  /** A TD report's REPORTDATA is 64 bytes. */
  @Override
  public int reportDataLength() {
    return 64;
  }

  /** Init data is bound through MRCONFIGID: the digest, zero-padded or truncated to 48 bytes. */
  @Override
  public void checkInitData(VerifiedEvidence verified, byte[] digest) throws VerificationException {
    InitData.requireClaim(
        verified, TdxClaims.MR_CONFIG_ID, Arrays.copyOf(digest, 48), "MRCONFIGID");
  }

  @Override
  public VerifiedEvidence verify(byte[] evidence, Expectations expected)
      throws VerificationException {
    TdxEvidence ev = TdxEvidence.parse(evidence);
    // the kind first: an SGX quote sent as tdx is the caller's mistake, not missing collateral
    requireTdx(ev.quote());
    return verify(ev, expected, quotes.collateral(expected.collateral(), source, ev.quote()));
  }

  private static void requireTdx(byte[] quote) throws VerificationException {
    if (dev.vouch.evidence.dcap.DcapQuote.parse(quote).tdReport().isEmpty()) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "an SGX quote is not TDX evidence (use --tee sgx)");
    }
  }

  /** Verifies against collateral the caller parsed (or fetched) already. */
  public VerifiedEvidence verify(byte[] evidence, Expectations expected, DcapCollateral collateral)
      throws VerificationException {
    return verify(TdxEvidence.parse(evidence), expected, collateral);
  }

  private VerifiedEvidence verify(TdxEvidence ev, Expectations expected, DcapCollateral collateral)
      throws VerificationException {
    requireTdx(ev.quote());
    VerifiedQuote v = quotes.verify(ev.quote(), expected.nonce(), expected.at(), collateral);
    TdReport td =
        v.quote()
            .tdReport()
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.UNSUPPORTED, "an SGX quote is not TDX evidence (use --tee sgx)"));
    Optional<CcelLog> log = Optional.empty();
    if (ev.ccEventLog().isPresent()) {
      CcelLog l = CcelLog.parse(ev.ccEventLog().get());
      l.requireMatches(td);
      log = Optional.of(l);
    }
    return new VerifiedEvidence(Tee.TDX, claims(v, td, log));
  }

  static Claims claims(VerifiedQuote v, TdReport td, Optional<CcelLog> log) {
    Claims.Builder c = Claims.builder();
    c.put(TdxClaims.QUOTE_VERSION, v.quote().header().version());
    c.put(TdxClaims.BODY_TYPE, td.teeTcbSvn2().isPresent() ? "tdx15" : "tdx10");
    c.put(TdxClaims.MR_TD, Hex.encode(td.mrTd()));
    for (int i = 0; i < TdRegister.RTMR_COUNT; i++) {
      c.put(TdRegister.rtmr(i).claimName(), Hex.encode(td.rtmr(i)));
    }
    c.put(TdxClaims.MR_SEAM, Hex.encode(td.mrSeam()));
    c.put(TdxClaims.MR_SIGNER_SEAM, Hex.encode(td.mrSignerSeam()));
    c.put(TdxClaims.SEAM_ATTRIBUTES, Hex.encode(td.seamAttributes()));
    c.put(TdxClaims.MR_CONFIG_ID, Hex.encode(td.mrConfigId()));
    c.put(TdxClaims.MR_OWNER, Hex.encode(td.mrOwner()));
    c.put(TdxClaims.MR_OWNER_CONFIG, Hex.encode(td.mrOwnerConfig()));
    c.put(TdxClaims.TD_ATTRIBUTES, Hex.encode(td.tdAttributes()));
    c.put(TdxClaims.DEBUG, td.debug());
    c.put(TdxClaims.SEPT_VE_DISABLE, (td.tdAttributes()[3] & 0x10) != 0);
    c.put(TdxClaims.PROTECTION_KEYS, (td.tdAttributes()[3] & 0x40) != 0);
    c.put(TdxClaims.KEY_LOCKER, (td.tdAttributes()[3] & 0x80) != 0);
    c.put(TdxClaims.PERFMON, (td.tdAttributes()[7] & 0x80) != 0);
    dev.vouch.evidence.dcap.QuoteHeader h = v.quote().header();
    c.put(TdxClaims.HEADER_PREFIX + "att_key_type", PckClaims.leHex(h.attestationKeyType(), 2));
    c.put(TdxClaims.HEADER_PREFIX + "tee_type", PckClaims.leHex(h.teeType(), 4));
    c.put(
        TdxClaims.HEADER_PREFIX + "reserved",
        PckClaims.leHex(h.qeSvn(), 2) + PckClaims.leHex(h.pceSvn(), 2));
    c.put(TdxClaims.HEADER_PREFIX + "vendor_id", Hex.encode(h.qeVendorId()));
    c.put(TdxClaims.HEADER_PREFIX + "user_data", Hex.encode(h.userData()));
    c.put(TdxClaims.XFAM, Hex.encode(td.xfam()));
    c.put(TdxClaims.REPORT_DATA, Hex.encode(td.reportData()));
    c.put(TdxClaims.TEE_TCB_SVN, Hex.encode(td.teeTcbSvn()));
    td.teeTcbSvn2().ifPresent(s -> c.put(TdxClaims.TEE_TCB_SVN2, Hex.encode(s)));
    td.mrServiceTd().ifPresent(s -> c.put(TdxClaims.MR_SERVICETD, Hex.encode(s)));
    c.put(TdxClaims.FMSPC, Hex.encode(v.pck().fmspc()));
    c.put(TdxClaims.PCE_SVN, v.pck().pceSvn());
    PckClaims.put(c, "tdx", v);
    c.put(TdxClaims.REVOCATION_CHECKED, v.revocationChecked());
    if (v.tcb().isPresent()) {
      TcbEvaluation t = v.tcb().get();
      c.put(TdxClaims.TCB_STATUS, t.status().wireName());
      c.put(TdxClaims.ADVISORY_IDS, t.advisoryIds());
      c.put(TdxClaims.TCB_DATE, t.tcbDate().toString());
      c.put(TdxClaims.TCB_EVALUATION_NUMBER, t.tcbEvaluationDataNumber());
      dev.vouch.evidence.dcap.ExpiredCollateral.putClaims(c, "tdx", v);
    }
    c.put(TdxClaims.CCEL_VERIFIED, log.isPresent());
    log.ifPresent(l -> c.put(TdxClaims.CCEL_EVENTS, l.events()));
    return c.build();
  }
}
