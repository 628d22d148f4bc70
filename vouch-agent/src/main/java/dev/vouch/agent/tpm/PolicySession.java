package dev.vouch.agent.tpm;

import dev.vouch.core.crypto.HashAlg;

/**
 * A policy session started with TPM2_StartAuthSession (unbound, unsalted, no parameter encryption).
 * Policy commands such as {@link TpmClient#policySecret} extend its digest; close it to flush it.
 * Closing twice is harmless.
 */
public final class PolicySession implements AutoCloseable {
  private final TpmClient client;
  private final int handle;
  private final HashAlg hash;
  private boolean flushed;

  PolicySession(TpmClient client, int handle, HashAlg hash) {
    this.client = client;
    this.handle = handle;
    this.hash = hash;
  }

  /** The session handle (0x03xxxxxx). */
  public int handle() {
    return handle;
  }

  /** The session's hash algorithm, which its policy digest uses. */
  public HashAlg hash() {
    return hash;
  }

  /** The authorization to attach to a command authorized by this policy. */
  SessionAuth auth(byte[] nonceCaller) {
    return new SessionAuth(handle, nonceCaller, SessionAuth.CONTINUE_SESSION, new byte[0]);
  }

  /** Flushes the session (TPM2_FlushContext). */
  @Override
  public synchronized void close() throws TpmException {
    if (!flushed) {
      flushed = true;
      client.flush(handle);
    }
  }

  @Override
  public String toString() {
    return "PolicySession[" + Handles.hex(handle) + ", " + hash.shortName() + "]";
  }
}
