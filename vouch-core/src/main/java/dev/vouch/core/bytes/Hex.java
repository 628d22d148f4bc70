package dev.vouch.core.bytes;

import java.util.HexFormat;

/** Lower-case hex, the form every claim and CLI output uses. */
public final class Hex {
  private static final HexFormat HEX = HexFormat.of();

  private Hex() {}

  public static String encode(byte[] bytes) {
    return HEX.formatHex(bytes);
  }

  /**
   * Decodes hex, accepting upper or lower case and an optional {@code 0x} prefix.
   *
   * @throws IllegalArgumentException on odd length or a non-hex character
   */
  public static byte[] decode(String hex) {
    String s = hex.strip();
    if (s.startsWith("0x") || s.startsWith("0X")) {
      s = s.substring(2);
    }
    return HEX.parseHex(s);
  }

  /** True when {@code s} is non-empty, even-length hex (with an optional {@code 0x}). */
  public static boolean isHex(String s) {
    String t = s.strip();
    if (t.startsWith("0x") || t.startsWith("0X")) {
      t = t.substring(2);
    }
    if (t.isEmpty() || (t.length() & 1) != 0) {
      return false;
    }
    for (int i = 0; i < t.length(); i++) {
      if (Character.digit(t.charAt(i), 16) < 0) {
        return false;
      }
    }
    return true;
  }
}
