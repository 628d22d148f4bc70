package dev.vouch.evidence.azure;

import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.snp.SnpEvidence;
import dev.vouch.evidence.snp.SnpEvidenceVerifier;
import dev.vouch.evidence.snp.SnpReport;
import java.util.List;

/**
 * Verifies Trustee's {@code az-snp-vtpm} evidence (an Azure confidential VM on SEV-SNP): the SNP
 * report inside the HCL report is checked by the configured {@link SnpEvidenceVerifier} with the
 * evidence's VCEK (chain to AMD's pinned roots, TCB extensions, signature), it must come from VMPL
 * 0 ({@link Failure#VMPL_MISMATCH}, as Trustee: the paravisor asked for it), and the vTPM quote is
 * bound to it as {@link VtpmBinding} describes. Claims are the SNP ones ({@code snp.*}), the vTPM
 * ones ({@code tpm.pcr.sha256.N}, {@code tpm.extra_data}, {@code tpm.ak.trust=hcl}) and {@code
 * azure.*}. Init data is bound through PCR 8 as for a TPM. Thread-safe.
 */
public final class AzSnpVtpmVerifier extends AzureVtpmVerifier {
  private final SnpEvidenceVerifier snp;

  /** With AMD's built-in roots (the ARK's CRL is then required, as for SNP evidence). */
  public AzSnpVtpmVerifier() {
    this(new SnpEvidenceVerifier());
  }

  /** With the server's configured SNP verifier, so that both kinds trust the same roots. */
  public AzSnpVtpmVerifier(SnpEvidenceVerifier snp) {
    super(AzureEvidence.Kind.SNP, HclReport.Type.SNP);
    this.snp = snp;
  }

  @Override
  public Tee tee() {
    return Tee.AZ_SNP_VTPM;
  }

  @Override
  Hardware verifyHardware(AzureEvidence ev, HclReport hcl, Expectations expected)
      throws VerificationException {
    SnpReport report = SnpReport.parse(hcl.hardwareReport());
    VerifiedEvidence hw =
        snp.verify(
            new SnpEvidence(report, List.of(new SnpEvidence.Carried("VCEK", ev.hardware()))),
            expected);
    if (report.vmpl() != 0) {
      throw new VerificationException(
          Failure.VMPL_MISMATCH, "the SNP report comes from VMPL " + report.vmpl() + ", not 0");
    }
    return new Hardware(hw, report.reportData());
  }
}
