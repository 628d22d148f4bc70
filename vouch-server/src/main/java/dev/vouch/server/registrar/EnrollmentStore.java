package dev.vouch.server.registrar;

import java.time.Instant;
import java.util.Optional;

/**
 * Where the registrar keeps challenges and enrolled hosts. Implementations must make {@link
 * #consume} atomic: of two concurrent answers to one challenge, exactly one may win. {@link
 * InMemoryEnrollmentStore} serves one process and tests; {@code store.JdbcEnrollmentStore} keeps
 * both in the server's database, shared by replicas and kept across restarts.
 */
public interface EnrollmentStore {
  /** Records an issued challenge. */
  void putChallenge(PendingChallenge challenge);

  /** What happened to a challenge id. */
  sealed interface Consumed {
    /** The challenge was pending and is now used up; the caller settles it. */
    record Fresh(PendingChallenge challenge) implements Consumed {}

    /** The challenge was answered before. */
    record AlreadyUsed(PendingChallenge challenge) implements Consumed {}

    /** No such challenge (never issued, or forgotten after expiry). */
    record Unknown() implements Consumed {}
  }

  /** Marks a challenge used, atomically, and says what state it was in. */
  Consumed consume(String challengeId);

  /** Forgets challenges that expired before {@code cutoff}. */
  void forgetChallengesBefore(Instant cutoff);

  /** Records (or replaces) an enrolled host. */
  void putHost(EnrolledHost host);

  Optional<EnrolledHost> host(String hostId);

  /** Removes a host (e.g. after its TPM was replaced); true when it was enrolled. */
  boolean removeHost(String hostId);
}
