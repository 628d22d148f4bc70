package dev.vouch.server.kbs;

import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Sessions of one process, in a concurrent map keyed by SHA-256 of the id. Thread-safe. */
public final class InMemorySessionStore implements SessionStore {
  private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();

  @Override
  public void create(Session session) {
    if (sessions.putIfAbsent(key(session.id()), session) != null) {
      throw new IllegalStateException("session id collision");
    }
  }

  @Override
  public Optional<Session> find(String id, Instant now) {
    String k = key(id);
    Session s = sessions.get(k);
    if (s == null) {
      return Optional.empty();
    }
    if (s.expiredAt(now)) {
      sessions.remove(k, s);
      return Optional.empty();
    }
    return Optional.of(s);
  }

  @Override
  public boolean transition(Session.State expected, Session next, Instant now) {
    boolean[] done = {false};
    sessions.computeIfPresent(
        key(next.id()),
        (k, cur) -> {
          if (cur.state() == expected && !cur.expiredAt(now)) {
            done[0] = true;
            return next;
          }
          return cur;
        });
    return done[0];
  }

  @Override
  public long countUnattested(Instant now) {
    return sessions.values().stream()
        .filter(s -> s.state() != Session.State.ATTESTED && !s.expiredAt(now))
        .count();
  }

  @Override
  public int removeExpired(Instant now) {
    int before = sessions.size();
    sessions.values().removeIf(s -> s.expiredAt(now));
    return Math.max(0, before - sessions.size());
  }

  /** How many sessions are held (expired ones included until removed). */
  public int size() {
    return sessions.size();
  }

  private static String key(String id) {
    return Hex.encode(HashAlg.SHA256.digest(id.getBytes(StandardCharsets.UTF_8)));
  }
}
