package dev.vouch.server.registrar;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An {@link EnrollmentStore} in memory: thread-safe, lost at restart. Enough for one server process
 * and for tests; replicas need the database store.
 */
public final class InMemoryEnrollmentStore implements EnrollmentStore {
  private record Entry(PendingChallenge challenge, boolean used) {}

  private final ConcurrentHashMap<String, Entry> challenges = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, EnrolledHost> hosts = new ConcurrentHashMap<>();

  @Override
  public void putChallenge(PendingChallenge challenge) {
    challenges.put(challenge.id(), new Entry(challenge, false));
  }

  @Override
  public Consumed consume(String challengeId) {
    Consumed[] result = {new Consumed.Unknown()};
    challenges.computeIfPresent(
        challengeId,
        (id, e) -> {
          result[0] =
              e.used()
                  ? new Consumed.AlreadyUsed(e.challenge())
                  : new Consumed.Fresh(e.challenge());
          return new Entry(e.challenge(), true);
        });
    return result[0];
  }

  @Override
  public void forgetChallengesBefore(Instant cutoff) {
    challenges.values().removeIf(e -> e.challenge().expiresAt().isBefore(cutoff));
  }

  @Override
  public void putHost(EnrolledHost host) {
    hosts.put(host.hostId(), host);
  }

  @Override
  public Optional<EnrolledHost> host(String hostId) {
    return Optional.ofNullable(hosts.get(hostId));
  }

  @Override
  public boolean removeHost(String hostId) {
    return hosts.remove(hostId) != null;
  }
}
