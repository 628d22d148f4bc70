package dev.vouch.evidence.testing;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Finds a UEFI variable measurement ({@code UEFI_VARIABLE_DATA}: GUID, name length, data length,
 * UTF-16LE name, data) in raw event-log bytes by searching for its byte pattern, without the parser
 * under test, so tests can read expected values from and tamper with the log independently.
 *
 * @param offset where the {@code UEFI_VARIABLE_DATA} starts in the log
 * @param valueOffset where the variable's value starts
 * @param valueLength the value's length
 */
public record UefiVariableBytes(int offset, int valueOffset, int valueLength) {

  /** {@code EFI_GLOBAL_VARIABLE} 8be4df61-93ca-11d2-aa0d-00e098032b8c in its on-disk byte order. */
  public static final byte[] EFI_GLOBAL_VARIABLE = {
    0x61,
    (byte) 0xdf,
    (byte) 0xe4,
    (byte) 0x8b,
    (byte) 0xca,
    (byte) 0x93,
    (byte) 0xd2,
    0x11,
    (byte) 0xaa,
    0x0d,
    0x00,
    (byte) 0xe0,
    (byte) 0x98,
    0x03,
    0x2b,
    (byte) 0x8c
  };

  /** The first measurement of {@code name} under {@code guid}, if the log holds one. */
  public static Optional<UefiVariableBytes> first(byte[] log, byte[] guid, String name) {
    byte[] utf16 = name.getBytes(StandardCharsets.UTF_16LE);
    for (int i = 0; i + 32 + utf16.length <= log.length; i++) {
      if (!regionEquals(log, i, guid)
          || le64(log, i + 16) != name.length()
          || !regionEquals(log, i + 32, utf16)) {
        continue;
      }
      long len = le64(log, i + 24);
      int value = i + 32 + utf16.length;
      if (len < 0 || value + len > log.length) {
        continue;
      }
      return Optional.of(new UefiVariableBytes(i, value, (int) len));
    }
    return Optional.empty();
  }

  /** The last byte of the measured {@code UEFI_VARIABLE_DATA} (the value's, or the name's). */
  public int lastDataByte() {
    return valueOffset + valueLength - 1;
  }

  private static boolean regionEquals(byte[] hay, int at, byte[] needle) {
    for (int j = 0; j < needle.length; j++) {
      if (hay[at + j] != needle[j]) {
        return false;
      }
    }
    return true;
  }

  private static long le64(byte[] b, int at) {
    long v = 0;
    for (int j = 7; j >= 0; j--) {
      v = (v << 8) | (b[at + j] & 0xff);
    }
    return v;
  }
}
