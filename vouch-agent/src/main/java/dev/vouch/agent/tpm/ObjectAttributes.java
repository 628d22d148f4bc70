package dev.vouch.agent.tpm;

/** TPMA_OBJECT bits (TPM 2.0 Part 2) used by the templates and authorization choices. */
public final class ObjectAttributes {
  private ObjectAttributes() {}

  public static final int FIXED_TPM = 1 << 1;
  public static final int ST_CLEAR = 1 << 2;
  public static final int FIXED_PARENT = 1 << 4;
  public static final int SENSITIVE_DATA_ORIGIN = 1 << 5;
  public static final int USER_WITH_AUTH = 1 << 6;
  public static final int ADMIN_WITH_POLICY = 1 << 7;
  public static final int NO_DA = 1 << 10;
  public static final int ENCRYPTED_DUPLICATION = 1 << 11;
  public static final int RESTRICTED = 1 << 16;
  public static final int DECRYPT = 1 << 17;
  public static final int SIGN_ENCRYPT = 1 << 18;

  static boolean has(int attributes, int bits) {
    return (attributes & bits) == bits;
  }
}
