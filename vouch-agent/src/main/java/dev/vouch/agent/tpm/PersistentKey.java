package dev.vouch.agent.tpm;

/**
 * A key in persistent TPM storage (handle 0x81xxxxxx); it is never flushed, only evicted with
 * {@link TpmClient#evict(int)}.
 */
public record PersistentKey(int handle, byte[] publicArea, byte[] name) implements KeyHandle {
  public PersistentKey {
    publicArea = publicArea.clone();
    name = name.clone();
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
  public String toString() {
    return "PersistentKey[" + Handles.hex(handle) + "]";
  }
}
