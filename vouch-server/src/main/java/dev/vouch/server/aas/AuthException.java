package dev.vouch.server.aas;

import java.time.Duration;
import java.util.Optional;

/** An authentication or authorization refusal with a stable reason. */
public final class AuthException extends Exception {
  /** Why; the wire name appears in problem documents as {@code reason}. */
  public enum Reason {
    /** No credential sent (401). */
    MISSING("missing", 401),
    /** Not a token or key this server issued, or tampered with (401). */
    INVALID("invalid", 401),
    /** A token past its {@code exp} (401). */
    EXPIRED("expired", 401),
    /** A revoked token or API key (401). */
    REVOKED("revoked", 401),
    /** A token signed by a key this server does not hold (401). */
    UNKNOWN_KEY("unknown-key", 401),
    /** The account is disabled or was deleted (401). */
    DISABLED("disabled", 401),
    /** Wrong name or password (401); which of the two is never said. */
    BAD_CREDENTIALS("bad-credentials", 401),
    /** Too many failed logins for the account or from the address (429). */
    RATE_LIMITED("rate-limited", 429),
    /** Authenticated, but the roles lack the permission (403). */
    FORBIDDEN("forbidden", 403);

    private final String wire;
    private final int status;

    Reason(String wire, int status) {
      this.wire = wire;
      this.status = status;
    }

    public String wire() {
      return wire;
    }

    public int status() {
      return status;
    }
  }

  private final Reason reason;
  private final transient Optional<Duration> retryAfter;

  public AuthException(Reason reason, String message) {
    this(reason, message, Optional.empty());
  }

  public AuthException(Reason reason, String message, Optional<Duration> retryAfter) {
    super(message);
    this.reason = reason;
    this.retryAfter = retryAfter;
  }

  public Reason reason() {
    return reason;
  }

  /** For {@link Reason#RATE_LIMITED}: when to try again. */
  public Optional<Duration> retryAfter() {
    return retryAfter;
  }
}
