package dev.vouch.agent.tpm;

/** Permanent handles and handle ranges (TPM 2.0 Part 2, TPM_RH, TPM_HT). */
public final class Handles {
  private Handles() {}

  public static final int TPM_RH_OWNER = 0x40000001;
  public static final int TPM_RH_NULL = 0x40000007;
  public static final int TPM_RS_PW = 0x40000009;
  public static final int TPM_RH_ENDORSEMENT = 0x4000000B;
  public static final int TPM_RH_PLATFORM = 0x4000000C;

  /** First NV index handle (TPM_HT_NV_INDEX). */
  public static final int NV_INDEX_FIRST = 0x01000000;

  /** First loaded-session handle (TPM_HT_LOADED_SESSION, i.e. HMAC and policy sessions). */
  public static final int LOADED_SESSION_FIRST = 0x02000000;

  /** First transient object handle (TPM_HT_TRANSIENT). */
  public static final int TRANSIENT_FIRST = 0x80000000;

  /** First persistent object handle (TPM_HT_PERSISTENT). */
  public static final int PERSISTENT_FIRST = 0x81000000;

  /** The handle type: the most significant byte. */
  public static int type(int handle) {
    return handle >>> 24;
  }

  /** True for transient objects and sessions, which must be flushed after use. */
  public static boolean isFlushable(int handle) {
    int t = type(handle);
    return t == 0x80 || t == 0x02 || t == 0x03;
  }

  public static String hex(int handle) {
    return String.format("0x%08x", handle);
  }
}
