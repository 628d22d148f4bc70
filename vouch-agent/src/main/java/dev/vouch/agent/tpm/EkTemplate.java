package dev.vouch.agent.tpm;

/**
 * The endorsement keys an agent can recreate, each with the NV index where the manufacturer stores
 * its EK certificate (TCG EK Credential Profile).
 */
public enum EkTemplate {
  /** Template L-1, certificate at 0x01C00002. */
  RSA_2048(0x01C00002),
  /** Template L-2, certificate at 0x01C0000A. */
  ECC_NIST_P256(0x01C0000A),
  /** Template H-3, certificate at 0x01C00016 (swtpm's ECC EK). */
  ECC_NIST_P384(0x01C00016);

  private final int certificateIndex;

  EkTemplate(int certificateIndex) {
    this.certificateIndex = certificateIndex;
  }

  /** The NV index of the EK certificate for this template. */
  public int certificateIndex() {
    return certificateIndex;
  }

  /** The TPMT_PUBLIC template to pass to TPM2_CreatePrimary in the endorsement hierarchy. */
  public KeyTemplate template() {
    return switch (this) {
      case RSA_2048 -> KeyTemplate.ekRsa2048();
      case ECC_NIST_P256 -> KeyTemplate.ekEccP256();
      case ECC_NIST_P384 -> KeyTemplate.ekEccP384();
    };
  }
}
