package dev.vouch.evidence.snp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Extracts the base64 blocks of PEM text; anything between blocks is ignored. */
final class Pem {
  private Pem() {}

  /** One PEM block: its label (e.g. {@code CERTIFICATE}) and decoded bytes. */
  record Block(String label, byte[] der) {}

  static boolean looksLikePem(byte[] bytes) {
    return indexOf(bytes, "-----BEGIN ") >= 0;
  }

  /** Every well-formed block; a block whose base64 is broken is skipped. */
  static List<Block> blocks(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    List<Block> out = new ArrayList<>();
    int from = 0;
    while (true) {
      int begin = text.indexOf("-----BEGIN ", from);
      if (begin < 0) {
        return out;
      }
      int labelEnd = text.indexOf("-----", begin + 11);
      if (labelEnd < 0) {
        return out;
      }
      String label = text.substring(begin + 11, labelEnd);
      String endMarker = "-----END " + label + "-----";
      int end = text.indexOf(endMarker, labelEnd + 5);
      if (end < 0) {
        return out;
      }
      try {
        out.add(
            new Block(
                label, Base64.getMimeDecoder().decode(text.substring(labelEnd + 5, end).strip())));
      } catch (IllegalArgumentException e) {
        // not base64: not a block we can use
      }
      from = end + endMarker.length();
    }
  }

  private static int indexOf(byte[] bytes, String needle) {
    byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
    outer:
    for (int i = 0; i + n.length <= bytes.length; i++) {
      for (int j = 0; j < n.length; j++) {
        if (bytes[i + j] != n[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
