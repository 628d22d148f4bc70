package dev.vouch.evidence.azure;

import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.dcap.DcapQuote;
import dev.vouch.evidence.dcap.TdReport;
import dev.vouch.evidence.tdx.TdxEvidenceVerifier;
import dev.vouch.evidence.tpm.TpmEvidenceVerifier;
import java.util.Optional;

/**
 * Verifies Trustee's {@code az-tdx-vtpm} evidence (an Azure confidential VM on TDX): the TD quote
 * is checked by the configured TDX verifier (DCAP signatures, PCK chain to Intel's root, TCB
 * collateral as that verifier requires), and the vTPM quote is bound to the quote's report data as
 * {@link VtpmBinding} describes. Claims are the TDX ones ({@code tdx.*}), the vTPM ones and {@code
 * azure.*}. Init data is bound through PCR 8 as for a TPM. Thread-safe.
 */
public final class AzTdxVtpmVerifier implements EvidenceVerifier {
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
    if (tdx.tee() != Tee.TDX) {
      throw new IllegalArgumentException("a TDX verifier is needed, not " + tdx.tee());
    }
    this.tdx = tdx;
  }

  @Override
  public Tee tee() {
    return Tee.AZ_TDX_VTPM;
  }

  /** As for {@code az-snp-vtpm}: the runtime-data digest zero-padded to a TPM's 64 bytes. */
  @Override
  public int reportDataLength() {
    return 64;
  }

  /** PCR 8 holds the 32-byte init data digest extended into zeros, as Trustee checks it. */
  @Override
  public void checkInitData(VerifiedEvidence verified, byte[] digest) throws VerificationException {
    TpmEvidenceVerifier.requirePcr8InitData(verified, digest);
  }

  @Override
  public VerifiedEvidence verify(byte[] evidence, Expectations expected)
      throws VerificationException {
    AzureEvidence ev = AzureEvidence.parse(evidence, AzureEvidence.Kind.TDX);
    HclReport hcl = HclReport.parse(ev.hclReport());
    if (hcl.type() != HclReport.Type.TDX) {
      throw new VerificationException(
          Failure.MALFORMED, "the HCL report holds a " + hcl.type() + " report, not TDX");
    }
    byte[] quote = ev.hardware();
    // the runtime data is the vTPM's to bind, so the TD quote is checked without a nonce
    VerifiedEvidence hw =
        tdx.verify(quote, new Expectations(Optional.empty(), expected.at(), expected.collateral()));
    TdReport td =
        DcapQuote.parse(quote)
            .tdReport()
            .orElseThrow(
                () -> new VerificationException(Failure.UNSUPPORTED, "an SGX quote, not TDX"));
    Claims tpm = VtpmBinding.bind(ev, hcl, td.reportData(), expected.nonce());
    return new VerifiedEvidence(
        Tee.AZ_TDX_VTPM, Claims.builder().putAll(hw.claims()).putAll(tpm).build());
  }
}
