package dev.vouch.evidence.azure;

import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.snp.SnpEvidence;
import dev.vouch.evidence.snp.SnpEvidenceVerifier;
import dev.vouch.evidence.snp.SnpReport;
import dev.vouch.evidence.tpm.TpmEvidenceVerifier;
import java.util.List;
import java.util.Optional;

/**
 * Verifies Trustee's {@code az-snp-vtpm} evidence (an Azure confidential VM on SEV-SNP): the SNP
 * report inside the HCL report is checked by the configured {@link SnpEvidenceVerifier} with the
 * evidence's VCEK (chain to AMD's pinned roots, TCB extensions, signature), it must come from VMPL
 * 0 ({@link Failure#VMPL_MISMATCH}, as Trustee: the paravisor asked for it), and the vTPM quote is
 * bound to it as {@link VtpmBinding} describes. Claims are the SNP ones ({@code snp.*}), the vTPM
 * ones ({@code tpm.pcr.sha256.N}, {@code tpm.extra_data}, {@code tpm.ak.trust=hcl}) and {@code
 * azure.*}. Init data is bound through PCR 8 as for a TPM. Thread-safe.
 */
public final class AzSnpVtpmVerifier implements EvidenceVerifier {
  private final SnpEvidenceVerifier snp;

  /** With AMD's built-in roots (the ARK's CRL is then required, as for SNP evidence). */
  public AzSnpVtpmVerifier() {
    this(new SnpEvidenceVerifier());
  }

  /** With the server's configured SNP verifier, so that both kinds trust the same roots. */
  public AzSnpVtpmVerifier(SnpEvidenceVerifier snp) {
    this.snp = snp;
  }

  @Override
  public Tee tee() {
    return Tee.AZ_SNP_VTPM;
  }

  /**
   * 64 bytes, the most a TPM {@code extraData} holds: the runtime-data digest zero-padded, of which
   * the quote carries the digest itself, as Trustee's attester puts it.
   */
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
    AzureEvidence ev = AzureEvidence.parse(evidence, AzureEvidence.Kind.SNP);
    HclReport hcl = HclReport.parse(ev.hclReport());
    if (hcl.type() != HclReport.Type.SNP) {
      throw new VerificationException(
          Failure.MALFORMED, "the HCL report holds a " + hcl.type() + " report, not SEV-SNP");
    }
    SnpReport report = SnpReport.parse(hcl.hardwareReport());
    // the runtime data is the vTPM's to bind, so the SNP report is checked without a nonce
    VerifiedEvidence hw =
        snp.verify(
            new SnpEvidence(report, List.of(new SnpEvidence.Carried("VCEK", ev.hardware()))),
            new Expectations(Optional.empty(), expected.at(), expected.collateral()));
    if (report.vmpl() != 0) {
      throw new VerificationException(
          Failure.VMPL_MISMATCH, "the SNP report comes from VMPL " + report.vmpl() + ", not 0");
    }
    Claims tpm = VtpmBinding.bind(ev, hcl, report.reportData(), expected.nonce());
    return new VerifiedEvidence(
        Tee.AZ_SNP_VTPM, Claims.builder().putAll(hw.claims()).putAll(tpm).build());
  }
}
