package dev.vouch.agent.tpm;

/**
 * The output of TPM2_NV_ReadPublic.
 *
 * @param index the NV index handle
 * @param nameAlg TPM_ALG_ID of the index's name algorithm
 * @param attributes TPMA_NV bits
 * @param authPolicy the index's policy digest (may be empty)
 * @param dataSize the size of the data area in bytes
 * @param name the index's name
 */
public record NvPublic(
    int index, int nameAlg, int attributes, byte[] authPolicy, int dataSize, byte[] name) {
  /** TPMA_NV_PPREAD: readable with platform authorization. */
  public static final int PPREAD = 1 << 16;

  /** TPMA_NV_OWNERREAD: readable with owner authorization. */
  public static final int OWNERREAD = 1 << 17;

  /** TPMA_NV_AUTHREAD: readable with the index's own authValue. */
  public static final int AUTHREAD = 1 << 18;

  /** TPMA_NV_WRITTEN: the index holds data. */
  public static final int WRITTEN = 1 << 29;

  public NvPublic {
    authPolicy = authPolicy.clone();
    name = name.clone();
  }

  @Override
  public byte[] authPolicy() {
    return authPolicy.clone();
  }

  @Override
  public byte[] name() {
    return name.clone();
  }

  public boolean has(int attribute) {
    return (attributes & attribute) == attribute;
  }
}
