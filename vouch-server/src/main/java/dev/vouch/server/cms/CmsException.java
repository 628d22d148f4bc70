package dev.vouch.server.cms;

/**
 * A CMS refusal with a stable {@link Reason}; the HTTP layer answers with the reason's status and
 * problem code, so clients can tell a spent bootstrap token from a CSR for the wrong name.
 */
public final class CmsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why a request was refused; codes and statuses are stable. */
  public enum Reason {
    BOOTSTRAP_TOKEN_UNKNOWN("bootstrap-token-unknown", 401),
    BOOTSTRAP_TOKEN_USED("bootstrap-token-used", 401),
    BOOTSTRAP_TOKEN_EXPIRED("bootstrap-token-expired", 401),
    CSR_MALFORMED("csr-malformed", 400),
    CSR_SIGNATURE_INVALID("csr-signature-invalid", 400),
    CSR_KEY_UNSUPPORTED("csr-key-unsupported", 400),
    /** The CSR names something other than the host the credential is bound to. */
    CSR_NAME_MISMATCH("csr-name-mismatch", 403),
    HOST_ID_INVALID("host-id-invalid", 400),
    TOKEN_LIFETIME_INVALID("token-lifetime-invalid", 400),
    CERTIFICATE_UNKNOWN("certificate-unknown", 404),
    /** A renewal presents a certificate this CMS did not issue (or no longer knows). */
    RENEWAL_CERTIFICATE_UNKNOWN("renewal-certificate-unknown", 401),
    RENEWAL_CERTIFICATE_REVOKED("renewal-certificate-revoked", 401),
    RENEWAL_CERTIFICATE_EXPIRED("renewal-certificate-expired", 401),
    /** The renewal's proof of possession of the current key does not verify. */
    RENEWAL_SIGNATURE_INVALID("renewal-signature-invalid", 401);

    private final String code;
    private final int status;

    Reason(String code, int status) {
      this.code = code;
      this.status = status;
    }

    /** The problem code, e.g. {@code bootstrap-token-used}. */
    public String code() {
      return code;
    }

    public int status() {
      return status;
    }
  }

  private final Reason reason;

  public CmsException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
