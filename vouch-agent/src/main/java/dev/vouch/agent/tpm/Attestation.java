package dev.vouch.agent.tpm;

/**
 * A signed attestation from TPM2_Quote or TPM2_Certify, in the forms tpm2-tools writes to files.
 *
 * @param attest the TPMS_ATTEST (contents of the TPM2B_ATTEST; what the signature covers)
 * @param signature the marshalled TPMT_SIGNATURE
 */
public record Attestation(byte[] attest, byte[] signature) {
  public Attestation {
    attest = attest.clone();
    signature = signature.clone();
  }

  @Override
  public byte[] attest() {
    return attest.clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }
}
