package dev.vouch.evidence.tpm.ima;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;

/** Recognizes which export of the list a byte array holds. */
final class ImaFormat {
  private static final HashAlg[] TEMPLATE_HASH_ALGS = {
    HashAlg.SHA1, HashAlg.SHA256, HashAlg.SHA384, HashAlg.SHA512
  };

  private ImaFormat() {}

  /**
   * True when the bytes start like an ASCII list line ({@code "10 "} or {@code " 2 "}); a binary
   * list starts with a little-endian PCR index, whose second byte is zero.
   */
  static boolean looksAscii(byte[] b) {
    int i = 0;
    while (i < b.length && i < 2 && b[i] == ' ') {
      i++;
    }
    int digits = 0;
    while (i < b.length && b[i] >= '0' && b[i] <= '9' && digits < 10) {
      i++;
      digits++;
    }
    return digits > 0 && i < b.length && b[i] == ' ';
  }

  /**
   * The template hash algorithm of a binary list. The classic {@code binary_runtime_measurements}
   * carries SHA-1; kernels with per-bank files ({@code binary_runtime_measurements_sha256}) carry
   * that bank's hash. The first entry tells: only the right digest size puts a plausible template
   * name length and name after it.
   */
  static HashAlg detectBinaryTemplateHash(byte[] b) throws VerificationException {
    for (HashAlg alg : TEMPLATE_HASH_ALGS) {
      int off = 4 + alg.size();
      if (b.length < off + 4) {
        continue;
      }
      long len =
          (b[off] & 0xffL)
              | (b[off + 1] & 0xffL) << 8
              | (b[off + 2] & 0xffL) << 16
              | (b[off + 3] & 0xffL) << 24;
      if (len < 1 || len > ImaTemplate.MAX_NAME_LENGTH || b.length < off + 4 + len) {
        continue;
      }
      if (printableName(b, off + 4, (int) len)) {
        return alg;
      }
    }
    if (b.length < 4 + 20 + 4) {
      throw new VerificationException(Failure.TRUNCATED, "IMA list: first entry is incomplete");
    }
    throw new VerificationException(
        Failure.MALFORMED, "IMA list: first entry has no plausible template name");
  }

  /** Template names are printable ASCII without spaces. */
  static boolean printableName(byte[] b, int off, int len) {
    for (int i = 0; i < len; i++) {
      int c = b[off + i];
      if (c <= ' ' || c > '~') {
        return false;
      }
    }
    return true;
  }

  static HashAlg templateHashForHexLength(int hexLength, int line) throws VerificationException {
    for (HashAlg alg : TEMPLATE_HASH_ALGS) {
      if (alg.size() * 2 == hexLength) {
        return alg;
      }
    }
    throw new VerificationException(
        Failure.MALFORMED,
        "line " + line + ": template hash has " + hexLength + " hex digits, no known algorithm");
  }
}
