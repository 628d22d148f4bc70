package dev.vouch.evidence.cima;

import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.security.MessageDigest;

/**
 * A software register folded like a PCR: {@code R = H(R || digest)}. Mutable and not thread-safe;
 * one per pod or container while a list is attributed.
 */
public final class VirtualRegister {
  private final HashAlg alg;
  private final MessageDigest md;
  private byte[] value;

  /** A register of {@code alg} holding {@code start} (copied). */
  public VirtualRegister(HashAlg alg, byte[] start) {
    if (start.length != alg.size()) {
      throw new IllegalArgumentException(
          "start value of " + start.length + " bytes for " + alg.shortName());
    }
    this.alg = alg;
    this.md = alg.newDigest();
    this.value = start.clone();
  }

  /** A register of {@code alg} at zero. */
  public static VirtualRegister zero(HashAlg alg) {
    return new VirtualRegister(alg, new byte[alg.size()]);
  }

  /** Extends with {@code digest}, which must have the register's size. */
  public void extend(byte[] digest) {
    if (digest.length != alg.size()) {
      throw new IllegalArgumentException(
          "digest of " + digest.length + " bytes into a " + alg.shortName() + " register");
    }
    md.update(value);
    md.update(digest);
    value = md.digest();
  }

  public HashAlg alg() {
    return alg;
  }

  public byte[] value() {
    return value.clone();
  }

  public String hex() {
    return Hex.encode(value);
  }

  @Override
  public String toString() {
    return alg.shortName() + ":" + hex();
  }
}
