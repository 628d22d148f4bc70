package dev.vouch.evidence.tpm.ima;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/** Converts template fields between the ASCII list, the binary template data and decoded values. */
final class ImaFields {
  private static final byte[] EMPTY = new byte[0];

  private ImaFields() {}

  /** Decoded values of the fields an {@link ImaEntry} exposes. */
  record Decoded(Optional<ImaDigest> fileDigest, String fileName, byte[] signature, byte[] buffer) {
    static final Decoded NONE = new Decoded(Optional.empty(), "", EMPTY, EMPTY);
  }

  /**
   * Rebuilds the binary template data from the fields text of an ASCII line (everything after the
   * template name and its separating space).
   */
  static byte[] fromAscii(ImaTemplate t, String text, String where) throws VerificationException {
    List<ImaTemplateField> fields = t.fields();
    int k = fields.size();
    String[] parts = new String[k];
    int free = -1;
    for (int i = 0; i < k; i++) {
      if (fields.get(i).ascii() == ImaTemplateField.Ascii.STRING) {
        free = i;
        break;
      }
    }
    int left = 0;
    int right = text.length();
    int leftCount = free < 0 ? k - 1 : free;
    for (int i = 0; i < leftCount; i++) {
      int sp = text.indexOf(' ', left);
      if (sp < 0 || sp > right) {
        throw malformed(where, "has fewer fields than template " + t.name() + " defines");
      }
      parts[i] = text.substring(left, sp);
      left = sp + 1;
    }
    if (free >= 0) {
      // Fields after the name never contain spaces; the name takes what lies between, so names
      // from kernels that did not yet replace spaces by underscores still parse. The kernel
      // prints a space even before an empty last field; lists that were edited by hand often
      // drop it, so missing trailing separators count as empty trailing fields (the template hash
      // still decides whether the rebuilt entry is the one that was measured).
      int rightCount = k - 1 - free;
      int spaces = 0;
      for (int i = left; i < text.length() && spaces < rightCount; i++) {
        if (text.charAt(i) == ' ') {
          spaces++;
        }
      }
      if (spaces < rightCount) {
        text = text + " ".repeat(rightCount - spaces);
        right = text.length();
      }
      for (int i = k - 1; i > free; i--) {
        int sp = text.lastIndexOf(' ', right - 1);
        if (sp < left) {
          throw malformed(where, "has fewer fields than template " + t.name() + " defines");
        }
        parts[i] = text.substring(sp + 1, right);
        right = sp;
      }
      parts[free] = text.substring(left, right);
    } else {
      parts[k - 1] = text.substring(left);
      if (parts[k - 1].indexOf(' ') >= 0) {
        throw malformed(where, "has more fields than template " + t.name() + " defines");
      }
    }

    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
    if (t.isLegacyIma()) {
      byte[] d = hex(parts[0], where);
      byte[] n = parts[1].getBytes(StandardCharsets.UTF_8);
      if (d.length != 20) {
        throw malformed(where, "ima template digest is not 20 bytes");
      }
      if (n.length >= ImaTemplate.IMA_NAME_PADDED) {
        throw malformed(where, "ima template name is longer than 255 bytes");
      }
      out.writeBytes(d);
      writeU32(out, n.length);
      out.writeBytes(n);
      return out.toByteArray();
    }
    for (int i = 0; i < k; i++) {
      byte[] field = fieldFromAscii(fields.get(i), parts[i], where);
      writeU32(out, field.length);
      out.writeBytes(field);
    }
    return out.toByteArray();
  }

  private static byte[] fieldFromAscii(ImaTemplateField f, String s, String where)
      throws VerificationException {
    switch (f.ascii()) {
      case DIGEST, HEX -> {
        return hex(s, where);
      }
      case DIGEST_WITH_ALGO -> {
        if (s.isEmpty()) {
          return EMPTY;
        }
        int colon = s.lastIndexOf(':');
        if (colon <= 0) {
          throw malformed(where, "digest '" + abbreviate(s) + "' has no algorithm prefix");
        }
        byte[] prefix = s.substring(0, colon + 1).getBytes(StandardCharsets.UTF_8);
        byte[] digest = hex(s.substring(colon + 1), where);
        byte[] out = new byte[prefix.length + 1 + digest.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(digest, 0, out, prefix.length + 1, digest.length);
        return out;
      }
      case STRING -> {
        if (s.isEmpty() && f == ImaTemplateField.XATTRNAMES) {
          return EMPTY;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[b.length + 1];
        System.arraycopy(b, 0, out, 0, b.length);
        return out;
      }
      case UINT -> {
        if (s.isEmpty()) {
          return EMPTY;
        }
        long v = decimal(s, where);
        int size = f.uintSize();
        if (size < 8 && v >>> (8 * size) != 0) {
          throw malformed(where, f.id() + " value " + v + " does not fit " + size + " bytes");
        }
        byte[] out = new byte[size];
        for (int i = 0; i < size; i++) {
          out[i] = (byte) (v >>> (8 * i));
        }
        return out;
      }
      default -> throw new IllegalStateException(f.ascii().name());
    }
  }

  /**
   * Splits binary template data into the template's fields and decodes the ones an entry exposes.
   * Fails with {@link Failure#MALFORMED} when the data does not hold exactly the template's fields.
   */
  static Decoded decode(ImaTemplate t, byte[] data, String where) throws VerificationException {
    ByteReader r = ByteReader.littleEndian(data);
    if (t.isLegacyIma()) {
      byte[] d = r.bytes(20);
      int n = r.length32("ima template name");
      if (n >= ImaTemplate.IMA_NAME_PADDED) {
        throw malformed(where, "ima template name is longer than 255 bytes");
      }
      String name = new String(r.bytes(n), StandardCharsets.UTF_8);
      r.expectEnd("ima template data");
      return new Decoded(
          Optional.of(new ImaDigest(d.length == 16 ? "md5" : "sha1", d)), name, EMPTY, EMPTY);
    }
    Optional<ImaDigest> digest = Optional.empty();
    String name = "";
    byte[] sig = EMPTY;
    byte[] buf = EMPTY;
    for (ImaTemplateField f : t.fields()) {
      if (r.remaining() < 4) {
        throw malformed(where, "template data ends before field " + f.id());
      }
      byte[] v = r.bytes(r.length32("template field " + f.id()));
      switch (f) {
        case D -> digest = Optional.of(new ImaDigest(v.length == 16 ? "md5" : "sha1", v));
        case D_NG, D_NGV2 -> digest = Optional.of(digestWithAlgo(v, where));
        case N, N_NG -> name = string(v);
        case SIG -> sig = v;
        case BUF -> buf = v;
        default -> {
          // kept in the raw template data only
        }
      }
    }
    if (r.hasRemaining()) {
      throw malformed(where, r.remaining() + " bytes after the last template field");
    }
    return new Decoded(digest, name, sig, buf);
  }

  /**
   * The fields text of an ASCII line for binary template data, as the kernel prints it (each field
   * after one space; empty fields print nothing). Inverse of {@link #fromAscii}.
   */
  static String toAscii(ImaTemplate t, byte[] data, String where) throws VerificationException {
    ByteReader r = ByteReader.littleEndian(data);
    StringBuilder sb = new StringBuilder(data.length * 2);
    if (t.isLegacyIma()) {
      sb.append(HEX.formatHex(r.bytes(20))).append(' ');
      sb.append(new String(r.bytes(r.length32("ima template name")), StandardCharsets.UTF_8));
      r.expectEnd("ima template data");
      return sb.toString();
    }
    for (int i = 0; i < t.fields().size(); i++) {
      ImaTemplateField f = t.fields().get(i);
      if (i > 0) {
        sb.append(' ');
      }
      byte[] v = r.bytes(r.length32("template field " + f.id()));
      if (v.length == 0) {
        continue;
      }
      switch (f.ascii()) {
        case DIGEST, HEX -> sb.append(HEX.formatHex(v));
        case DIGEST_WITH_ALGO -> {
          ImaDigest d = digestWithAlgo(v, where);
          sb.append(d.algorithm()).append(':').append(HEX.formatHex(d.value()));
        }
        case STRING -> sb.append(string(v));
        case UINT -> {
          long x = 0;
          for (int j = Math.min(v.length, 8) - 1; j >= 0; j--) {
            x = (x << 8) | (v[j] & 0xff);
          }
          sb.append(Long.toUnsignedString(x));
        }
        default -> throw new IllegalStateException(f.ascii().name());
      }
    }
    r.expectEnd("template data");
    return sb.toString();
  }

  private static final java.util.HexFormat HEX = java.util.HexFormat.of();

  private static ImaDigest digestWithAlgo(byte[] v, String where) throws VerificationException {
    int nul = -1;
    for (int i = 0; i < v.length; i++) {
      if (v[i] == 0) {
        nul = i;
        break;
      }
    }
    if (nul < 1 || v[nul - 1] != ':') {
      throw malformed(where, "digest field lacks its '<algo>:' prefix");
    }
    String algo = new String(v, 0, nul - 1, StandardCharsets.US_ASCII);
    byte[] d = new byte[v.length - nul - 1];
    System.arraycopy(v, nul + 1, d, 0, d.length);
    return new ImaDigest(algo, d);
  }

  /** A NUL-terminated string field without its terminator (and anything after a first NUL). */
  private static String string(byte[] v) {
    int end = 0;
    while (end < v.length && v[end] != 0) {
      end++;
    }
    return new String(v, 0, end, StandardCharsets.UTF_8);
  }

  static byte[] hex(String s, String where) throws VerificationException {
    int n = s.length();
    if ((n & 1) != 0) {
      throw malformed(where, "hex field has an odd length");
    }
    byte[] out = new byte[n / 2];
    for (int i = 0; i < out.length; i++) {
      int hi = hexDigit(s.charAt(2 * i));
      int lo = hexDigit(s.charAt(2 * i + 1));
      if (hi < 0 || lo < 0) {
        throw malformed(where, "field '" + abbreviate(s) + "' is not hex");
      }
      out[i] = (byte) ((hi << 4) | lo);
    }
    return out;
  }

  /** ASCII hex digits only: the kernel prints lower case; upper case is accepted too. */
  static int hexDigit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  private static long decimal(String s, String where) throws VerificationException {
    if (s.length() > 20) {
      throw malformed(where, "number field is too long");
    }
    long v = 0;
    for (int i = 0; i < s.length(); i++) {
      int d = s.charAt(i) - '0';
      if (d < 0 || d > 9 || v > (Long.MAX_VALUE - d) / 10) {
        throw malformed(where, "field '" + abbreviate(s) + "' is not a number");
      }
      v = v * 10 + d;
    }
    return v;
  }

  private static void writeU32(ByteArrayOutputStream out, int v) {
    out.write(v);
    out.write(v >>> 8);
    out.write(v >>> 16);
    out.write(v >>> 24);
  }

  static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }

  static VerificationException malformed(String where, String what) {
    return new VerificationException(Failure.MALFORMED, where + " " + what);
  }
}
