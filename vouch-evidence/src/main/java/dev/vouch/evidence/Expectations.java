package dev.vouch.evidence;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * What the relying party expects of evidence besides its own signatures.
 *
 * @param nonce the freshness value the verifier issued, or empty when the caller does not check
 *     freshness (offline inspection only; a service always sets it)
 * @param at the time at which certificates and collateral must be valid
 */
public record Expectations(Optional<byte[]> nonce, Instant at) {

  public Expectations {
    Objects.requireNonNull(nonce, "nonce");
    Objects.requireNonNull(at, "at");
    nonce = nonce.map(byte[]::clone);
  }

  /** Expect this nonce, checked now. */
  public static Expectations withNonce(byte[] nonce) {
    return new Expectations(Optional.of(nonce), Instant.now());
  }

  /** No freshness check (offline inspection), checked now. */
  public static Expectations none() {
    return new Expectations(Optional.empty(), Instant.now());
  }

  @Override
  public Optional<byte[]> nonce() {
    return nonce.map(byte[]::clone);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Expectations e
        && at.equals(e.at)
        && nonce.isPresent() == e.nonce.isPresent()
        && (nonce.isEmpty() || Arrays.equals(nonce.get(), e.nonce.get()));
  }

  @Override
  public int hashCode() {
    return Objects.hash(at, nonce.map(Arrays::hashCode).orElse(0));
  }

  @Override
  public String toString() {
    return "Expectations[nonce=" + (nonce.isPresent() ? "set" : "none") + ", at=" + at + "]";
  }
}
