package dev.vouch.evidence.testing;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Inputs derived from real samples for the parser properties: cut short, or corrupted. */
public final class Mutations {
  private Mutations() {}

  /** A seed cut at any length from 0 to its full size. */
  public static Arbitrary<byte[]> truncations(List<byte[]> seeds) {
    return Arbitraries.of(seeds)
        .flatMap(
            seed ->
                Arbitraries.integers().between(0, seed.length).map(n -> Arrays.copyOf(seed, n)));
  }

  /**
   * A seed with one bit flipped and a second byte overwritten: the second change reaches length
   * fields more often than single bit flips do.
   */
  public static Arbitrary<byte[]> corruptions(List<byte[]> seeds) {
    return Arbitraries.of(seeds)
        .flatMap(
            seed ->
                Combinators.combine(
                        Arbitraries.integers().between(0, seed.length - 1),
                        Arbitraries.integers().between(0, 7),
                        Arbitraries.integers().between(0, 255))
                    .as(
                        (pos, bit, other) -> {
                          byte[] b = seed.clone();
                          b[pos] ^= (byte) (1 << bit);
                          b[(pos * 31 + other) % b.length] = (byte) (int) other;
                          return b;
                        }));
  }
}
