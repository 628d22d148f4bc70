package dev.vouch.agent.tpm;

/** TPM_SU: how TPM2_Startup resumes or TPM2_Shutdown prepares the TPM state. */
public enum StartupType {
  CLEAR(0),
  STATE(1);

  private final int value;

  StartupType(int value) {
    this.value = value;
  }

  int value() {
    return value;
  }
}
