package dev.vouch.agent.tpm;

/**
 * The output of TPM2_Create: a key wrapped by its parent, to be loaded with {@link TpmClient#load}.
 *
 * @param privateArea the TPM2B_PRIVATE (encrypted under the parent)
 * @param publicArea the TPM2B_PUBLIC
 */
public record CreatedKey(byte[] privateArea, byte[] publicArea) {
  public CreatedKey {
    privateArea = privateArea.clone();
    publicArea = publicArea.clone();
  }

  @Override
  public byte[] privateArea() {
    return privateArea.clone();
  }

  @Override
  public byte[] publicArea() {
    return publicArea.clone();
  }
}
