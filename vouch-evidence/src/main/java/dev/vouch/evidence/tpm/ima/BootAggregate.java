package dev.vouch.evidence.tpm.ima;

import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code boot_aggregate} entry a kernel writes first into its IMA list, checked against the
 * quoted PCRs 0-7. As the kernel computes it ({@code ima_calc_boot_aggregate}): the hash, in the
 * algorithm of the entry's digest, of PCRs 0-7 of the bank of that algorithm concatenated; kernels
 * since 5.8 add PCRs 8 and 9 for every bank but SHA-1. The digest's algorithm names the bank: a
 * kernel whose TPM lacks the bank of its IMA hash falls back to SHA-1 and records a SHA-1 digest.
 * Keylime compares the entry with the same registers.
 */
public final class BootAggregate {
  /** The name of the entry. */
  public static final String NAME = "boot_aggregate";

  private BootAggregate() {}

  /** What the check found; the claim {@code tpm.ima.boot_aggregate} carries its lower-case name. */
  public enum Result {
    /** The entry equals the aggregate of the quoted PCRs (0-7, or 0-9 for non-SHA-1 banks). */
    VERIFIED,
    /** PCRs 0-7 of the entry's bank were quoted and the entry equals neither aggregate. */
    MISMATCH,
    /** The list does not start with a boot_aggregate entry or the quote lacks its registers. */
    NOT_CHECKED;

    public String claim() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Checks {@code first}, the list's first entry, against {@code quoted}.
   *
   * @return {@link Result#NOT_CHECKED} for an entry of another name, a digest of an unknown
   *     algorithm, or a bank whose PCRs 0-7 were not all quoted
   */
  public static Result check(ImaEntry first, PcrValues quoted) {
    if (!NAME.equals(first.fileName()) || first.fileDigest().isEmpty()) {
      return Result.NOT_CHECKED;
    }
    ImaDigest d = first.fileDigest().get();
    Optional<HashAlg> alg = d.hashAlg();
    if (alg.isEmpty()) {
      return Result.NOT_CHECKED;
    }
    Optional<byte[]> upTo7 = aggregate(alg.get(), quoted, 8);
    if (upTo7.isEmpty()) {
      return Result.NOT_CHECKED;
    }
    byte[] recorded = d.value();
    if (Crypto.constantTimeEquals(recorded, upTo7.get())) {
      return Result.VERIFIED;
    }
    if (alg.get() != HashAlg.SHA1) {
      Optional<byte[]> upTo9 = aggregate(alg.get(), quoted, 10);
      if (upTo9.isPresent() && Crypto.constantTimeEquals(recorded, upTo9.get())) {
        return Result.VERIFIED;
      }
    }
    return Result.MISMATCH;
  }

  /** H(PCR 0 || ... || PCR count-1) of bank {@code alg}, when every one of them was quoted. */
  static Optional<byte[]> aggregate(HashAlg alg, PcrValues quoted, int count) {
    MessageDigest md = alg.newDigest();
    for (int i = 0; i < count; i++) {
      Optional<byte[]> v = quoted.get(alg, i);
      if (v.isEmpty()) {
        return Optional.empty();
      }
      md.update(v.get());
    }
    return Optional.of(md.digest());
  }
}
