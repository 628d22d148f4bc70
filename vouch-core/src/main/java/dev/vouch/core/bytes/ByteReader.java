package dev.vouch.core.bytes;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.util.Arrays;

/**
 * A bounded reader over a byte array, the only way Vouch parsers read binary input. Every read
 * checks the remaining length first and throws {@link VerificationException} with {@link
 * Failure#TRUNCATED} instead of reading past the end, and every length field is compared with what
 * is left before anything is allocated, so a hostile length can never cause a large allocation.
 *
 * <p>Not thread-safe; create one per parse.
 */
public final class ByteReader {
  private final byte[] buf;
  private final int start;
  private final int limit;
  private final boolean bigEndian;
  private int pos;

  private ByteReader(byte[] buf, int start, int limit, boolean bigEndian) {
    this.buf = buf;
    this.start = start;
    this.limit = limit;
    this.bigEndian = bigEndian;
    this.pos = start;
  }

  /** Reads multi-byte integers most significant byte first (TPM 2.0 structures, X.509). */
  public static ByteReader bigEndian(byte[] bytes) {
    return new ByteReader(bytes, 0, bytes.length, true);
  }

  /** Reads multi-byte integers least significant byte first (TCG event logs, IMA, Intel quotes). */
  public static ByteReader littleEndian(byte[] bytes) {
    return new ByteReader(bytes, 0, bytes.length, false);
  }

  /** Bytes left to read. */
  public int remaining() {
    return limit - pos;
  }

  /** Offset of the next byte, counted from the start of this reader's window. */
  public int position() {
    return pos - start;
  }

  public boolean hasRemaining() {
    return pos < limit;
  }

  private void need(long n, String what) throws VerificationException {
    if (n < 0 || n > limit - pos) {
      throw new VerificationException(
          Failure.TRUNCATED,
          what + ": needs " + n + " bytes at offset " + position() + ", " + remaining() + " left");
    }
  }

  public int u8() throws VerificationException {
    need(1, "u8");
    return buf[pos++] & 0xff;
  }

  public int u16() throws VerificationException {
    need(2, "u16");
    int a = buf[pos] & 0xff;
    int b = buf[pos + 1] & 0xff;
    pos += 2;
    return bigEndian ? (a << 8) | b : (b << 8) | a;
  }

  /** An unsigned 32-bit value. */
  public long u32() throws VerificationException {
    need(4, "u32");
    long v = 0;
    if (bigEndian) {
      for (int i = 0; i < 4; i++) {
        v = (v << 8) | (buf[pos + i] & 0xff);
      }
    } else {
      for (int i = 3; i >= 0; i--) {
        v = (v << 8) | (buf[pos + i] & 0xff);
      }
    }
    pos += 4;
    return v;
  }

  /** A 32-bit value that must fit in a signed int (for type tags and counts compared by value). */
  public int s32() throws VerificationException {
    return (int) u32();
  }

  /** A 64-bit value; the caller interprets the sign. */
  public long u64() throws VerificationException {
    need(8, "u64");
    long v = 0;
    if (bigEndian) {
      for (int i = 0; i < 8; i++) {
        v = (v << 8) | (buf[pos + i] & 0xff);
      }
    } else {
      for (int i = 7; i >= 0; i--) {
        v = (v << 8) | (buf[pos + i] & 0xff);
      }
    }
    pos += 8;
    return v;
  }

  /** Copies the next {@code n} bytes; {@code n} is checked against what is left first. */
  public byte[] bytes(long n) throws VerificationException {
    need(n, "bytes");
    byte[] out = Arrays.copyOfRange(buf, pos, pos + (int) n);
    pos += (int) n;
    return out;
  }

  /** Skips {@code n} bytes after checking that they exist. */
  public void skip(long n) throws VerificationException {
    need(n, "skip");
    pos += (int) n;
  }

  /** A 16-bit length followed by that many bytes (TPM2B_*). */
  public byte[] sized16() throws VerificationException {
    int n = u16();
    return bytes(n);
  }

  /** A 32-bit length followed by that many bytes. */
  public byte[] sized32() throws VerificationException {
    long n = u32();
    return bytes(n);
  }

  /**
   * A reader over the next {@code n} bytes with the same byte order; this reader moves past them.
   * Reads through the returned reader can never leave its window.
   */
  public ByteReader slice(long n) throws VerificationException {
    need(n, "slice");
    ByteReader sub = new ByteReader(buf, pos, pos + (int) n, bigEndian);
    pos += (int) n;
    return sub;
  }

  /** Reads a 32-bit length and checks it against what is left, returning it as an int. */
  public int length32(String what) throws VerificationException {
    long n = u32();
    need(n, what);
    return (int) n;
  }

  /** Reads a 16-bit length and checks it against what is left. */
  public int length16(String what) throws VerificationException {
    int n = u16();
    need(n, what);
    return n;
  }

  /** Throws {@link Failure#MALFORMED} unless every byte was consumed. */
  public void expectEnd(String what) throws VerificationException {
    if (pos != limit) {
      throw new VerificationException(
          Failure.MALFORMED, what + ": " + remaining() + " trailing bytes at offset " + position());
    }
  }

  /** True when the next {@code n} bytes exist and are all equal to {@code value}. */
  public boolean peekAll(int n, int value) {
    if (n > limit - pos) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if ((buf[pos + i] & 0xff) != value) {
        return false;
      }
    }
    return true;
  }

  /** A copy of the bytes from window offset {@code from} up to the current position. */
  public byte[] consumedSince(int from) {
    return Arrays.copyOfRange(buf, start + from, pos);
  }
}
