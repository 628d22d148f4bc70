package dev.vouch.policy.flavor;

import java.io.IOException;
import java.io.InputStream;

/** Reads the copied test vectors under {@code /vectors}. */
final class Vectors {
  private Vectors() {}

  static byte[] read(String path) throws IOException {
    try (InputStream in = Vectors.class.getResourceAsStream("/vectors/" + path)) {
      if (in == null) {
        throw new IOException("missing test vector " + path);
      }
      return in.readAllBytes();
    }
  }
}
