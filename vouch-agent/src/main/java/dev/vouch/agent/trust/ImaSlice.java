package dev.vouch.agent.trust;

import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.ima.ImaLog;
import java.util.Arrays;

/**
 * The part of a binary IMA measurement list from one entry on, so that a verifier that already
 * holds the first {@code offset} entries receives only what is new.
 *
 * @param offset index of the first entry in {@code bytes}; 0 when the list restarted (the verifier
 *     asked for more entries than there are, as after a reboot)
 * @param bytes the entries in the kernel's binary form
 */
record ImaSlice(long offset, byte[] bytes) {

  /**
   * Cuts {@code list} (the whole binary list) at entry {@code from}.
   *
   * @throws VerificationException when the list cannot be framed into entries
   */
  static ImaSlice of(byte[] list, long from) throws VerificationException {
    // the agent only frames entries here, reading their lengths: template hashes are the
    // verifier's to judge, and a long list costs no parsing of the entries before the checkpoint
    java.util.OptionalInt at = ImaLog.binaryOffsetOf(list, from);
    if (at.isEmpty()) {
      return new ImaSlice(0, list);
    }
    return new ImaSlice(from, Arrays.copyOfRange(list, at.getAsInt(), list.length));
  }
}
