package dev.vouch.server.kbs;

import dev.vouch.core.Tee;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One KBS handshake as the server keeps it. The id is the cookie value; the expiry is fixed at
 * {@code /auth} and never extended. Immutable: every step stores a new value.
 *
 * @param id the {@code kbs-session-id} cookie value (32 lowercase hex, 128 random bits)
 * @param tee the evidence kind the client announced
 * @param nonce the challenge nonce as sent (base64 of 32 random bytes)
 * @param expiresAt when the session stops being usable
 * @param state where the handshake is
 * @param attested the attestation, once {@link State#ATTESTED}
 */
public record Session(
    String id, Tee tee, String nonce, Instant expiresAt, State state, Optional<Attested> attested) {

  /** The handshake's steps. A nonce is consumed when an attest request claims the session. */
  public enum State {
    /** The challenge was issued; one attest request may use it. */
    AUTHED,
    /** An attest request claimed the nonce and is being verified. */
    ATTESTING,
    /** Attestation succeeded; the token may fetch resources until expiry. */
    ATTESTED,
    /** Attestation failed; the nonce is spent and the client must start again with /auth. */
    FAILED
  }

  /**
   * What a successful attestation left in the session.
   *
   * @param token the attestation token returned to the client
   * @param claims the token's claims, which the resource policy sees
   * @param teeKey the key resources are encrypted to
   * @param tokenExpiresAt the token's {@code exp}
   */
  public record Attested(
      String token, Map<String, Object> claims, TeePublicKey teeKey, Instant tokenExpiresAt) {
    public Attested {
      Objects.requireNonNull(token, "token");
      claims = Map.copyOf(claims);
      Objects.requireNonNull(teeKey, "teeKey");
      Objects.requireNonNull(tokenExpiresAt, "tokenExpiresAt");
    }

    @Override
    public String toString() {
      return "Attested[token=<redacted>, tokenExpiresAt=" + tokenExpiresAt + "]";
    }
  }

  public Session {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(tee, "tee");
    Objects.requireNonNull(nonce, "nonce");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(attested, "attested");
    if ((state == State.ATTESTED) != attested.isPresent()) {
      throw new IllegalArgumentException("an attested session, and only it, carries its token");
    }
  }

  /** A new session awaiting its attest request. */
  public static Session authed(String id, Tee tee, String nonce, Instant expiresAt) {
    return new Session(id, tee, nonce, expiresAt, State.AUTHED, Optional.empty());
  }

  /** True at and after the expiry instant. */
  public boolean expiredAt(Instant now) {
    return !now.isBefore(expiresAt);
  }

  /** This session in another state without an attestation. */
  public Session with(State next) {
    return new Session(id, tee, nonce, expiresAt, next, Optional.empty());
  }

  /** This session, attested. */
  public Session attested(Attested a) {
    return new Session(id, tee, nonce, expiresAt, State.ATTESTED, Optional.of(a));
  }

  @Override
  public String toString() {
    // the id is a bearer credential: only a prefix goes into logs and messages
    return "Session[" + logId(id) + ", " + tee.wireName() + ", " + state + "]";
  }

  /** The first 8 characters of a session id, for logs. */
  public static String logId(String id) {
    return id.length() <= 8 ? id : id.substring(0, 8) + "..";
  }
}
