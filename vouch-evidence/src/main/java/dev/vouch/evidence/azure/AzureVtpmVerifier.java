package dev.vouch.evidence.azure;

import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.tpm.TpmEvidenceVerifier;
import java.util.Optional;

/**
 * What the two Azure kinds share: the evidence JSON and HCL report are parsed, the hardware report
 * is verified by the kind ({@link #verifyHardware}), then the vTPM quote is bound to it ({@link
 * VtpmBinding}). The result holds the hardware claims, the vTPM claims and {@code azure.*}.
 */
abstract sealed class AzureVtpmVerifier implements EvidenceVerifier
    permits AzSnpVtpmVerifier, AzTdxVtpmVerifier {
  private final AzureEvidence.Kind kind;
  private final HclReport.Type hclType;

  AzureVtpmVerifier(AzureEvidence.Kind kind, HclReport.Type hclType) {
    this.kind = kind;
    this.hclType = hclType;
  }

  /** A verified hardware report and its report data, where the HCL variable data is bound. */
  record Hardware(VerifiedEvidence verified, byte[] reportData) {}

  /**
   * Verifies the hardware part of {@code ev} (whose HCL report holds the hardware report) with
   * {@code expected}, which carries no nonce.
   */
  abstract Hardware verifyHardware(AzureEvidence ev, HclReport hcl, Expectations expected)
      throws VerificationException;

  /**
   * 64 bytes, the most a TPM {@code extraData} holds: the runtime-data digest zero-padded, of which
   * the quote carries the digest itself, as Trustee's attester puts it.
   */
  @Override
  public final int reportDataLength() {
    return 64;
  }

  /** PCR 8 holds the 32-byte init data digest extended into zeros, as Trustee checks it. */
  @Override
  public final void checkInitData(VerifiedEvidence verified, byte[] digest)
      throws VerificationException {
    TpmEvidenceVerifier.requirePcr8InitData(verified, digest);
  }

  @Override
  public final VerifiedEvidence verify(byte[] evidence, Expectations expected)
      throws VerificationException {
    AzureEvidence ev = AzureEvidence.parse(evidence, kind);
    HclReport hcl = HclReport.parse(ev.hclReport());
    if (hcl.type() != hclType) {
      throw new VerificationException(
          Failure.MALFORMED, "the HCL report holds a " + hcl.type() + " report, not " + hclType);
    }
    // the runtime data is the vTPM's to bind, so the hardware report is checked without a nonce
    Hardware hw =
        verifyHardware(
            ev, hcl, new Expectations(Optional.empty(), expected.at(), expected.collateral()));
    Claims tpm = VtpmBinding.bind(ev, hcl, hw.reportData(), expected.nonce());
    return new VerifiedEvidence(
        tee(), Claims.builder().putAll(hw.verified().claims()).putAll(tpm).build());
  }
}
