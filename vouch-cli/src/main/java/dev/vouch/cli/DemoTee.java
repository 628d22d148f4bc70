package dev.vouch.cli;

import dev.vouch.core.Claims;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.Verifiers;
import dev.vouch.evidence.dcap.ExpiredCollateral;
import dev.vouch.evidence.tdx.TdxClaims;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Part 5 of {@code vouch demo}: an Intel TDX quote verified with the Intel-signed collateral that
 * was fetched for it (TCB info, QE identity, PCK CRL, root CRL), through the same verifier as
 * {@code vouch verify --tee tdx} and the attestation service. The collateral has a validity window,
 * so the quote is judged at the time it was recorded, as {@code vouch verify --at} does.
 */
final class DemoTee {
  /** Inside the recorded collateral's validity window (same instant as the CLI's TDX test). */
  static final Instant RECORDED_AT = Instant.parse("2025-07-19T10:00:34Z");

  /** Offset of MRTD in a v4 TDX quote: 48-byte header, then MRTD at offset 136 of the body. */
  private static final int MR_TD_OFFSET = 48 + 136;

  private DemoTee() {}

  static boolean run(PrintWriter out) throws Exception {
    byte[] quote = DemoCommand.resource("tdx_quote");
    byte[] collateral = DemoCommand.resource("tdx_quote_collateral.json");
    EvidenceVerifier tdx = Verifiers.defaults().forTee(Tee.TDX).orElseThrow();
    Expectations at = new Expectations(Optional.empty(), RECORDED_AT, List.of(collateral));
    Claims c;
    try {
      c = tdx.verify(quote, at).claims();
    } catch (VerificationException e) {
      out.println("   UNEXPECTED FAILURE " + e.failure().code() + ": " + e.getMessage());
      return false;
    }
    String mrTd = String.valueOf(c.get(TdxClaims.MR_TD));
    out.printf(
        "   VALID: quote signed by a PCK chaining to Intel's pinned root (revocation checked: %s),"
            + " TCB %s, FMSPC %s%n",
        c.get(TdxClaims.REVOCATION_CHECKED), c.get(TdxClaims.TCB_STATUS), c.get(TdxClaims.FMSPC));
    out.printf(
        "   MRTD %s..., debug %s, judged at %s (inside the collateral's validity)%n",
        mrTd.substring(0, Math.min(24, mrTd.length())), c.get(TdxClaims.DEBUG), RECORDED_AT);

    byte[] flipped = quote.clone();
    flipped[MR_TD_OFFSET] ^= 1;
    boolean ok = expectRejection(out, "one bit flipped in MRTD", tdx, flipped, at);
    ok &=
        expectRejection(
            out,
            "the same quote without its collateral",
            tdx,
            quote,
            new Expectations(Optional.empty(), RECORDED_AT, List.of()));
    ok &=
        expectRejection(
            out,
            "the same collateral two years later",
            tdx,
            quote,
            new Expectations(
                Optional.empty(),
                RECORDED_AT.plus(java.time.Duration.ofDays(730)),
                List.of(collateral)));
    return ok;
  }

  private static boolean expectRejection(
      PrintWriter out, String what, EvidenceVerifier v, byte[] quote, Expectations at) {
    try {
      ExpiredCollateral.refuse(v.verify(quote, at));
      out.println("   UNEXPECTED: accepted " + what);
      return false;
    } catch (VerificationException e) {
      out.printf("   REJECTED as expected (%s): %s%n", what, e.failure().code());
      return true;
    }
  }
}
