package dev.vouch.agent.kbs;

/**
 * The KBS refused a request, or could not be reached or understood. Carries the HTTP status (0 when
 * no answer came) and the KBS error document's {@code type} and {@code detail}.
 */
public final class KbsException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String type;

  public KbsException(int status, String type, String detail) {
    super(detail);
    this.status = status;
    this.type = type;
  }

  public KbsException(String detail, Throwable cause) {
    super(detail, cause);
    this.status = 0;
    this.type = "";
  }

  /** The HTTP status, 0 when the KBS gave no answer. */
  public int status() {
    return status;
  }

  /** The error kind: the last segment of the KBS's {@code type} URI, e.g. {@code PolicyDeny}. */
  public String kind() {
    int slash = type.lastIndexOf('/');
    return slash < 0 ? type : type.substring(slash + 1);
  }

  /** True for 401 and 403: attestation failed or the policy said no. */
  public boolean refused() {
    return status == 401 || status == 403;
  }

  @Override
  public String toString() {
    return status == 0 ? getMessage() : status + " " + kind() + ": " + getMessage();
  }
}
