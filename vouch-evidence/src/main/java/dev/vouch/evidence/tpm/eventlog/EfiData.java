package dev.vouch.evidence.tpm.eventlog;

import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;

/** Reading helpers for UEFI structures in event data: GUIDs and the string forms firmware uses. */
final class EfiData {
  private EfiData() {}

  /** An {@code EFI_GUID}: three little-endian fields, then eight bytes in order. */
  static UUID guid(ByteReader r) throws VerificationException {
    long d1 = r.u32();
    long d2 = r.u16();
    long d3 = r.u16();
    long lsb = 0;
    for (int i = 0; i < 8; i++) {
      lsb = (lsb << 8) | r.u8();
    }
    return new UUID(d1 << 32 | d2 << 16 | d3, lsb);
  }

  /** Length of {@code b} without trailing zero bytes. */
  private static int trimmedLength(byte[] b) {
    int n = b.length;
    while (n > 0 && b[n - 1] == 0) {
      n--;
    }
    return n;
  }

  /**
   * The bytes as text without trailing NULs. Decodes as UTF-8 (ASCII is a subset); malformed
   * sequences become U+FFFD rather than failing, since firmware strings are not always clean.
   */
  static String text(byte[] b) {
    return new String(b, 0, trimmedLength(b), StandardCharsets.UTF_8);
  }

  /** The bytes as text when, without trailing NULs, they are non-empty printable ASCII. */
  static Optional<String> printableAscii(byte[] b) {
    int n = trimmedLength(b);
    if (n == 0) {
      return Optional.empty();
    }
    for (int i = 0; i < n; i++) {
      int c = b[i] & 0xff;
      if ((c < 0x20 || c > 0x7e) && c != '\t' && c != '\n' && c != '\r') {
        return Optional.empty();
      }
    }
    return Optional.of(new String(b, 0, n, StandardCharsets.US_ASCII));
  }

  /**
   * True when {@code b} looks like UTF-16LE text: an even length of at least two bytes whose
   * characters are all printable and in the Basic Latin or Latin-1 range, apart from trailing NULs.
   * Firmware and systemd write UTF-16LE for names and command lines; this tells them from ASCII.
   */
  static boolean looksUtf16(byte[] b) {
    if (b.length < 2 || (b.length & 1) != 0) {
      return false;
    }
    int chars = b.length / 2;
    while (chars > 0 && b[2 * chars - 2] == 0 && b[2 * chars - 1] == 0) {
      chars--;
    }
    if (chars == 0) {
      return false;
    }
    for (int i = 0; i < chars; i++) {
      int lo = b[2 * i] & 0xff;
      int hi = b[2 * i + 1] & 0xff;
      if (hi != 0 || (lo < 0x20 && lo != '\t' && lo != '\n' && lo != '\r') || lo == 0x7f) {
        return false;
      }
    }
    return true;
  }

  /** UTF-16LE text without trailing NUL characters; unpaired surrogates become U+FFFD. */
  static String utf16(byte[] b) {
    int chars = b.length / 2;
    while (chars > 0 && b[2 * chars - 2] == 0 && b[2 * chars - 1] == 0) {
      chars--;
    }
    return new String(b, 0, chars * 2, StandardCharsets.UTF_16LE);
  }
}
