package dev.vouch.agent.kbs;

/** The attester could not produce evidence (device missing, TPM error, I/O). */
public final class EvidenceException extends Exception {
  private static final long serialVersionUID = 1L;

  public EvidenceException(String message) {
    super(message);
  }

  public EvidenceException(String message, Throwable cause) {
    super(message, cause);
  }
}
