package dev.vouch.policy.flavor;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;

/** ISecL's PCR bank names: {@code SHA1}, {@code SHA256}, {@code SHA384}. */
public final class Banks {
  private Banks() {}

  /** The bank's ISecL name. */
  public static String name(HashAlg bank) {
    return switch (bank) {
      case SHA1 -> "SHA1";
      case SHA256 -> "SHA256";
      case SHA384 -> "SHA384";
      case SHA512 -> "SHA512";
      case SM3_256 -> "SM3_256";
    };
  }

  /** Reads an ISecL bank name (case-insensitive; {@code SHA3} is ISecL's word for SHA-384). */
  public static HashAlg parse(String name) throws VerificationException {
    return switch (name.toUpperCase(java.util.Locale.ROOT)) {
      case "SHA1" -> HashAlg.SHA1;
      case "SHA256" -> HashAlg.SHA256;
      case "SHA384", "SHA3" -> HashAlg.SHA384;
      case "SHA512" -> HashAlg.SHA512;
      case "SM3_256" -> HashAlg.SM3_256;
      default -> throw new VerificationException(Failure.UNSUPPORTED, "unknown PCR bank " + name);
    };
  }
}
