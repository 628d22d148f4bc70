package dev.vouch.evidence.azure;

import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.dcap.DcapQuote;
import dev.vouch.evidence.dcap.TdReport;
import dev.vouch.evidence.tdx.TdxEvidenceVerifier;

/**
 * Verifies Trustee's {@code az-tdx-vtpm} evidence (an Azure confidential VM on TDX): the TD quote
 * is checked by the configured TDX verifier (DCAP signatures, PCK chain to Intel's root, TCB
 * collateral as that verifier requires), and the vTPM quote is bound to the quote's report data as
 * {@link VtpmBinding} describes. Claims are the TDX ones ({@code tdx.*}), the vTPM ones and {@code
 * azure.*}. Init data is bound through PCR 8 as for a TPM. Thread-safe.
 */
public final class AzTdxVtpmVerifier extends AzureVtpmVerifier {
  private final EvidenceVerifier tdx;

  /** With the default TDX verifier (Intel's production root, collateral required). */
  public AzTdxVtpmVerifier() {
    this(new TdxEvidenceVerifier());
  }

  /**
   * With the server's configured TDX verifier (the same roots, collateral and PCCS).
   *
   * @throws IllegalArgumentException when {@code tdx} is not a TDX verifier
   */
  public AzTdxVtpmVerifier(EvidenceVerifier tdx) {
    super(AzureEvidence.Kind.TDX, HclReport.Type.TDX);
    if (tdx.tee() != Tee.TDX) {
      throw new IllegalArgumentException("a TDX verifier is needed, not " + tdx.tee());
    }
    this.tdx = tdx;
  }

  @Override
  public Tee tee() {
    return Tee.AZ_TDX_VTPM;
  }

  @Override
  Hardware verifyHardware(AzureEvidence ev, HclReport hcl, Expectations expected)
      throws VerificationException {
    byte[] quote = ev.hardware();
    var hw = tdx.verify(quote, expected);
    TdReport td =
        DcapQuote.parse(quote)
            .tdReport()
            .orElseThrow(
                () -> new VerificationException(Failure.UNSUPPORTED, "an SGX quote, not TDX"));
    return new Hardware(hw, td.reportData());
  }
}
