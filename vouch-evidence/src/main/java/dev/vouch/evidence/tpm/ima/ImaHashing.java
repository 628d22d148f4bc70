package dev.vouch.evidence.tpm.ima;

import dev.vouch.core.crypto.HashAlg;
import java.security.MessageDigest;
import java.util.Arrays;

/** The kernel's rules for what is hashed and what is extended, shared by both replay paths. */
final class ImaHashing {
  private ImaHashing() {}

  /**
   * The bytes behind the template hash. For the {@code ima} template, whose {@code templateData}
   * here is {@code digest(20) | u32 len | name}, the kernel hashes the digest and the name
   * zero-padded to 256 bytes, without lengths; for every other template the template data itself.
   */
  static byte[] hashedBytes(String templateName, byte[] templateData) {
    if (!templateName.equals("ima") || templateData.length < 24) {
      return templateData;
    }
    byte[] out = new byte[20 + ImaTemplate.IMA_NAME_PADDED];
    System.arraycopy(templateData, 0, out, 0, 20);
    int nameLen = Math.min(templateData.length - 24, ImaTemplate.IMA_NAME_PADDED - 1);
    System.arraycopy(templateData, 24, out, 20, nameLen);
    return out;
  }

  /** Feeds the hashed bytes of one entry, located in {@code buf}, into {@code md}. */
  static void updateHashed(
      MessageDigest md, boolean legacyIma, byte[] buf, int dataOff, int dataLen, byte[] zeros) {
    if (!legacyIma) {
      md.update(buf, dataOff, dataLen);
      return;
    }
    // digest(20) | u32 name length | name
    md.update(buf, dataOff, 20);
    int nameLen = dataLen - 24;
    md.update(buf, dataOff + 24, nameLen);
    md.update(zeros, 0, ImaTemplate.IMA_NAME_PADDED - nameLen);
  }

  /** What a violation extends into {@code bank}. */
  static byte[] violationDigest(HashAlg bank, ImaReplayMode mode) {
    byte[] d = new byte[bank.size()];
    int ones = mode == ImaReplayMode.OLD_KERNEL ? Math.min(20, d.length) : d.length;
    Arrays.fill(d, 0, ones, (byte) 0xff);
    return d;
  }

  /** A SHA-1 template hash zero-padded (or cut) to {@code bank}'s size, as old kernels did. */
  static byte[] padded(byte[] sha1, HashAlg bank) {
    return Arrays.copyOf(sha1, bank.size());
  }

  static boolean allZero(byte[] b, int off, int len) {
    for (int i = 0; i < len; i++) {
      if (b[off + i] != 0) {
        return false;
      }
    }
    return true;
  }
}
