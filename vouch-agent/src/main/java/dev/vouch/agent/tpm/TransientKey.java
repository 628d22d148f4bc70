package dev.vouch.agent.tpm;

/**
 * A transient object loaded in the TPM (handle 0x80xxxxxx). Close it to flush it: without a
 * resource manager (swtpm, /dev/tpm0) a TPM holds only a few objects, and a leaked one blocks later
 * loads with TPM_RC_OBJECT_MEMORY. Closing twice is harmless.
 */
public final class TransientKey implements KeyHandle, AutoCloseable {
  private final TpmClient client;
  private final int handle;
  private final byte[] publicArea;
  private final byte[] name;
  private boolean flushed;

  TransientKey(TpmClient client, int handle, byte[] publicArea, byte[] name) {
    this.client = client;
    this.handle = handle;
    this.publicArea = publicArea.clone();
    this.name = name.clone();
  }

  @Override
  public int handle() {
    return handle;
  }

  @Override
  public byte[] publicArea() {
    return publicArea.clone();
  }

  @Override
  public byte[] name() {
    return name.clone();
  }

  /** True once the object was flushed. */
  public synchronized boolean isFlushed() {
    return flushed;
  }

  /** Flushes the object from the TPM (TPM2_FlushContext). */
  @Override
  public synchronized void close() throws TpmException {
    if (!flushed) {
      flushed = true;
      client.flush(handle);
    }
  }

  @Override
  public String toString() {
    return "TransientKey[" + Handles.hex(handle) + (flushed ? ", flushed]" : "]");
  }
}
