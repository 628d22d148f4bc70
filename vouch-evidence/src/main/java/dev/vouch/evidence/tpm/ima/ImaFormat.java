package dev.vouch.evidence.tpm.ima;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import java.util.Arrays;

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
        return alg == HashAlg.SHA256 ? sha256OrSm3(b) : alg;
      }
    }
    if (b.length < 4 + 20 + 4) {
      throw new VerificationException(Failure.TRUNCATED, "IMA list: first entry is incomplete");
    }
    throw new VerificationException(
        Failure.MALFORMED, "IMA list: first entry has no plausible template name");
  }

  /**
   * A 32-byte template hash column is SHA-256 or SM3 (Chinese kernels configured with {@code
   * ima_hash=sm3}); the list does not say which. The first entry that is not a violation decides:
   * SM3 only when its template hash is the SM3 of its data and not the SHA-256, so a tampered
   * SHA-256 list still fails as a mismatch later.
   */
  static HashAlg resolve32(byte[] hashedBytes, byte[] templateHash) {
    if (templateHash.length != 32
        || Arrays.equals(HashAlg.SHA256.digest(hashedBytes), templateHash)) {
      return HashAlg.SHA256;
    }
    return Arrays.equals(HashAlg.SM3_256.digest(hashedBytes), templateHash)
        ? HashAlg.SM3_256
        : HashAlg.SHA256;
  }

  /** {@link #resolve32} on the first non-violation entry of a binary list with 32-byte hashes. */
  private static HashAlg sha256OrSm3(byte[] b) {
    int pos = 0;
    while (b.length - pos >= 4 + 32 + 4) {
      int hashOff = pos + 4;
      int nameLen = u32(b, hashOff + 32);
      int nameOff = hashOff + 36;
      if (nameLen < 1
          || nameLen > ImaTemplate.MAX_NAME_LENGTH
          || b.length - nameOff < nameLen + 4) {
        break;
      }
      if (nameLen == 3 && b[nameOff] == 'i' && b[nameOff + 1] == 'm' && b[nameOff + 2] == 'a') {
        break; // the legacy template only ever carried SHA-1
      }
      int dataLen = u32(b, nameOff + nameLen);
      int dataOff = nameOff + nameLen + 4;
      if (dataLen < 0 || b.length - dataOff < dataLen) {
        break;
      }
      if (!ImaHashing.allZero(b, hashOff, 32)) {
        return resolve32(
            Arrays.copyOfRange(b, dataOff, dataOff + dataLen),
            Arrays.copyOfRange(b, hashOff, hashOff + 32));
      }
      pos = dataOff + dataLen;
    }
    return HashAlg.SHA256; // the parser reports what is wrong with the list
  }

  private static int u32(byte[] b, int off) {
    long v =
        (b[off] & 0xffL)
            | (b[off + 1] & 0xffL) << 8
            | (b[off + 2] & 0xffL) << 16
            | (b[off + 3] & 0xffL) << 24;
    return v > Integer.MAX_VALUE ? -1 : (int) v;
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
    // an even-length hex column of another size is a hash we do not know, not a tampered entry
    throw new VerificationException(
        hexLength % 2 == 0 && hexLength >= 32 && hexLength <= 128
            ? Failure.UNSUPPORTED
            : Failure.MALFORMED,
        "line " + line + ": template hash has " + hexLength + " hex digits, no known algorithm");
  }
}
