package dev.vouch.agent.tpm;

/** The TPM 2.0 commands this client sends (TPM 2.0 Part 2, TPM_CC). */
public enum CommandCode {
  EVICT_CONTROL(0x120),
  CREATE_PRIMARY(0x131),
  STARTUP(0x144),
  SHUTDOWN(0x145),
  ACTIVATE_CREDENTIAL(0x147),
  CERTIFY(0x148),
  NV_READ(0x14E),
  POLICY_SECRET(0x151),
  CREATE(0x153),
  LOAD(0x157),
  QUOTE(0x158),
  FLUSH_CONTEXT(0x165),
  NV_READ_PUBLIC(0x169),
  READ_PUBLIC(0x173),
  START_AUTH_SESSION(0x176),
  GET_CAPABILITY(0x17A),
  GET_RANDOM(0x17B),
  PCR_READ(0x17E),
  READ_CLOCK(0x181),
  PCR_EXTEND(0x182),
  POLICY_GET_DIGEST(0x189);

  private final int code;

  CommandCode(int code) {
    this.code = code;
  }

  /** The TPM_CC value. */
  public int code() {
    return code;
  }

  /** The name as the specification writes it, e.g. {@code TPM2_PCR_Read}. */
  public String tpmName() {
    StringBuilder sb = new StringBuilder("TPM2_");
    boolean upper = true;
    for (char c : name().toCharArray()) {
      if (c == '_') {
        upper = true;
        continue;
      }
      sb.append(upper ? c : Character.toLowerCase(c));
      upper = false;
    }
    String s = sb.toString();
    // the specification keeps these abbreviations in capitals
    return s.replace("TPM2_Pcr", "TPM2_PCR_").replace("TPM2_Nv", "TPM2_NV_");
  }
}
