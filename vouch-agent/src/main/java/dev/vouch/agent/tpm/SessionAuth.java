package dev.vouch.agent.tpm;

/**
 * One entry of a command's authorization area (TPMS_AUTH_COMMAND): the session handle, the caller's
 * nonce, the session attributes and the HMAC or password.
 *
 * @param sessionHandle TPM_RS_PW for a password, or a session handle
 * @param nonceCaller the caller nonce (empty for passwords)
 * @param attributes TPMA_SESSION bits, e.g. {@link #CONTINUE_SESSION}
 * @param hmac the password for TPM_RS_PW, or the session HMAC (empty for policy sessions whose
 *     policy needs no authValue)
 */
public record SessionAuth(int sessionHandle, byte[] nonceCaller, int attributes, byte[] hmac) {
  /** TPMA_SESSION continueSession: keep the session loaded after the command. */
  public static final int CONTINUE_SESSION = 0x01;

  public SessionAuth {
    nonceCaller = nonceCaller.clone();
    hmac = hmac.clone();
  }

  /** A password authorization (TPM_RS_PW); the empty password is the TPM's default. */
  public static SessionAuth password(byte[] password) {
    return new SessionAuth(Handles.TPM_RS_PW, new byte[0], CONTINUE_SESSION, password);
  }

  /** The empty password. */
  public static SessionAuth emptyPassword() {
    return password(new byte[0]);
  }

  @Override
  public byte[] nonceCaller() {
    return nonceCaller.clone();
  }

  @Override
  public byte[] hmac() {
    return hmac.clone();
  }

  void writeTo(TpmWriter w) {
    w.u32(sessionHandle).tpm2b(nonceCaller).u8(attributes).tpm2b(hmac);
  }

  @Override
  public String toString() {
    // never print passwords
    return String.format(
        "SessionAuth[handle=0x%08x, attributes=0x%02x]", sessionHandle, attributes);
  }
}
