package dev.vouch.evidence.tpm.ima;

import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A file digest as an IMA template records it.
 *
 * @param algorithm the algorithm text the kernel wrote before the digest: {@code sha256} for {@code
 *     d-ng}, {@code ima:sha256} or {@code verity:sha256} for {@code d-ngv2}, and {@code sha1} or
 *     {@code md5} (by length) for the original {@code d} field
 * @param value the digest bytes; for violations the kernel writes 20 zero bytes whatever the
 *     algorithm, so the length need not match the algorithm
 */
public record ImaDigest(String algorithm, byte[] value) {
  public ImaDigest {
    Objects.requireNonNull(algorithm, "algorithm");
    value = value.clone();
  }

  @Override
  public byte[] value() {
    return value.clone();
  }

  /** The hash algorithm named by the last component of {@link #algorithm()}, when Vouch has it. */
  public Optional<HashAlg> hashAlg() {
    int colon = algorithm.lastIndexOf(':');
    return HashAlg.fromName(colon < 0 ? algorithm : algorithm.substring(colon + 1));
  }

  /** True when the recorded digest has exactly the size of its algorithm. */
  public boolean sizeMatchesAlgorithm() {
    return hashAlg().map(a -> a.size() == value.length).orElse(false);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ImaDigest d
        && d.algorithm.equals(algorithm)
        && Arrays.equals(d.value, value);
  }

  @Override
  public int hashCode() {
    return algorithm.hashCode() * 31 + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return algorithm + ":" + Hex.encode(value);
  }
}
