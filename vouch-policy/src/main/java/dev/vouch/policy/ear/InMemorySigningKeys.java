package dev.vouch.policy.ear;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Signing keys held in memory with rotation. {@link #rotate()} makes a new current key; the
 * previous one stays published until {@link #retireBefore(Instant)} drops it. Thread-safe.
 */
public final class InMemorySigningKeys implements SigningKeys {
  private final EarAlgorithm algorithm;
  private final Clock clock;
  private final List<SigningKey> keys = new ArrayList<>();

  /** Starts with one fresh key. */
  public InMemorySigningKeys(EarAlgorithm algorithm, Clock clock) {
    this.algorithm = algorithm;
    this.clock = clock;
    keys.add(generate(algorithm, clock.instant()));
  }

  /** Makes a new key from a stored key pair, e.g. one loaded from sealed storage. */
  public InMemorySigningKeys(EarAlgorithm algorithm, Clock clock, List<SigningKey> existing) {
    if (existing.isEmpty() || existing.get(0).supersededAt() != null) {
      throw new IllegalArgumentException("the first key must be current");
    }
    this.algorithm = algorithm;
    this.clock = clock;
    keys.addAll(existing);
  }

  @Override
  public synchronized SigningKey current() {
    return keys.get(0);
  }

  @Override
  public synchronized List<SigningKey> published() {
    return List.copyOf(keys);
  }

  /** Makes a new current key; the old one stays published. Returns the new key. */
  public synchronized SigningKey rotate() {
    Instant now = clock.instant();
    SigningKey old = keys.get(0);
    keys.set(0, new SigningKey(old.kid(), old.key(), old.algorithm(), old.created(), now));
    SigningKey fresh = generate(algorithm, now);
    keys.add(0, fresh);
    return fresh;
  }

  /**
   * Stops publishing keys superseded before {@code cutoff}. Pass {@code now - token lifetime}: a
   * key superseded before then signed only tokens that have expired. Returns how many were dropped.
   * The current key is never dropped.
   */
  public synchronized int retireBefore(Instant cutoff) {
    int before = keys.size();
    keys.removeIf(k -> k.supersededAt() != null && k.supersededAt().isBefore(cutoff));
    return before - keys.size();
  }

  private static SigningKey generate(EarAlgorithm alg, Instant now) {
    try {
      ECKey k =
          new ECKeyGenerator(alg.curve()).keyUse(KeyUse.SIGNATURE).algorithm(alg.jws()).generate();
      String kid = k.computeThumbprint().toString();
      ECKey withId = new ECKey.Builder(k).keyID(kid).build();
      return new SigningKey(kid, withId, alg, now, null);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate a " + alg + " key", e);
    }
  }
}
