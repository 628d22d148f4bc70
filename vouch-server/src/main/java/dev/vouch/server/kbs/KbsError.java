package dev.vouch.server.kbs;

import java.time.Duration;
import java.util.Optional;

/**
 * A refusal of the KBS, answered as Trustee's error document {@code {"type": ".../errors/<Kind>",
 * "detail": "..."}}. The detail says what was wrong with the request; it never carries secret
 * bytes, key material or whole evidence.
 */
public final class KbsError extends Exception {
  private static final long serialVersionUID = 1L;

  /** Trustee's error type URI prefix; the kind's name follows it. */
  public static final String TYPE_PREFIX = "https://github.com/confidential-containers/kbs/errors/";

  /** Error kinds: Trustee's variant names, each with the status Vouch answers it with. */
  public enum Kind {
    /** Attestation failed, or the handshake was out of order (no, expired or used session). */
    AttestationError(401),
    /** The request body or a field in it is malformed or refused (weak key, unknown tee). */
    SerdeError(400),
    /** The request body exceeds the configured limit. */
    PayloadTooLarge(413),
    /** A resource path that is not three valid segments. */
    InvalidRequestPath(400),
    /** The resource does not exist (asked only after the policy allowed the request). */
    ResourceNotFound(404),
    /** No attestation token: neither an attested session nor a bearer token. */
    TokenNotFound(401),
    /** The bearer token or the session's token failed verification or has expired. */
    TokenVerifierError(401),
    /** The resource policy refused release. */
    PolicyDeny(403),
    /** A resource policy document that does not compile. */
    ParsePolicyError(400),
    /** The admin token is missing, malformed, expired or signed by no configured key. */
    AdminAuthAccess(401),
    /** The response could not be encrypted to the TEE key. */
    JweError(500),
    /**
     * Vouch's addition (Trustee has no rate limits): this client exceeded its request rate on
     * {@code /auth} or {@code /attest}, or the KBS holds as many unattested sessions as it allows.
     * Answered with {@code Retry-After}.
     */
    TooManyRequests(429),
    /** A reference value message was refused, or the queried value does not exist. */
    RvpsError(401),
    /** The policy engine has no such policy. */
    PolicyEngineError(401),
    /**
     * Vouch's addition: the attestation carries {@code additional_evidence} (device evidence, e.g.
     * a GPU's) and this KBS has no verifier for it. Answered like a failed attestation (401) with
     * its own type, so that a client can tell "send no device evidence" from "bad evidence".
     */
    AdditionalEvidenceUnsupported(401),
    /** A path under {@code /kbs/v0} that names no endpoint (Trustee: a plugin it does not have). */
    PluginNotFound(404);

    private final int status;

    Kind(int status) {
      this.status = status;
    }

    /** The HTTP status this kind is answered with. */
    public int status() {
      return status;
    }

    /** The {@code type} member of the error document. */
    public String type() {
      return TYPE_PREFIX + name();
    }
  }

  private final Kind kind;
  private final transient Optional<Duration> retryAfter;

  public KbsError(Kind kind, String detail) {
    this(kind, detail, Optional.empty());
  }

  /** A refusal the client may retry after {@code retryAfter} (sent as {@code Retry-After}). */
  public KbsError(Kind kind, String detail, Optional<Duration> retryAfter) {
    super(detail, null, false, false);
    this.kind = kind;
    this.retryAfter = retryAfter;
  }

  /** When the client may try again, for refusals that pass with time. */
  public Optional<Duration> retryAfter() {
    return retryAfter;
  }

  public Kind kind() {
    return kind;
  }

  /** The HTTP status to answer with. */
  public int status() {
    return kind.status();
  }

  /** The {@code detail} member of the error document. */
  public String detail() {
    return getMessage();
  }
}
