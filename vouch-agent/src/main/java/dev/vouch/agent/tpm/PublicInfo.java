package dev.vouch.agent.tpm;

/**
 * The output of TPM2_ReadPublic.
 *
 * @param publicArea the TPM2B_PUBLIC
 * @param name the object's name
 * @param qualifiedName the name qualified by its hierarchy and parents
 */
public record PublicInfo(byte[] publicArea, byte[] name, byte[] qualifiedName) {
  public PublicInfo {
    publicArea = publicArea.clone();
    name = name.clone();
    qualifiedName = qualifiedName.clone();
  }

  @Override
  public byte[] publicArea() {
    return publicArea.clone();
  }

  @Override
  public byte[] name() {
    return name.clone();
  }

  @Override
  public byte[] qualifiedName() {
    return qualifiedName.clone();
  }
}
