package dev.vouch.server.kbs;

import java.time.Instant;
import java.util.Optional;

/**
 * Where KBS sessions live. Replicas that share a store need no sticky routing: any replica can
 * continue a handshake another one started. The in-memory store serves a single process; {@link
 * dev.vouch.server.store.JdbcSessionStore} shares sessions between replicas and implements {@link
 * #transition} as one conditional {@code UPDATE ... WHERE state = ?}.
 *
 * <p>Implementations key sessions by a hash of the id, so neither a stored copy nor a lookup's
 * timing reveals live cookie values.
 */
public interface SessionStore {

  /** Stores a new session. */
  void create(Session session);

  /**
   * The session with this id, if it exists and has not expired at {@code now}; expired sessions are
   * removed on access.
   */
  Optional<Session> find(String id, Instant now);

  /**
   * The session an attest request is about to claim: like {@link #find}, but the state may be the
   * one this process last saw, since the claim itself is a {@link #transition} that the store
   * checks against the current state.
   */
  default Optional<Session> claimable(String id, Instant now) {
    return find(id, now);
  }

  /**
   * Replaces the session only if it is still in state {@code expected} and unexpired: the one
   * atomic step that makes a nonce usable once, also when two replicas race on it.
   *
   * @return true when the replacement happened
   */
  boolean transition(Session.State expected, Session next, Instant now);

  /**
   * How many sessions are unexpired at {@code now} and not attested (waiting for {@code /attest},
   * being attested, or failed): what a flood of anonymous {@code /auth} requests creates.
   */
  long countUnattested(Instant now);

  /** Removes sessions expired at {@code now}; returns how many. */
  int removeExpired(Instant now);
}
