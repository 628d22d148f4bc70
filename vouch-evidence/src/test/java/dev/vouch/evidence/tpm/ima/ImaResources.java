package dev.vouch.evidence.tpm.ima;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Reads the IMA vectors copied into this module's test resources. */
final class ImaResources {
  private ImaResources() {}

  static byte[] bytes(String path) {
    try (InputStream in = ImaResources.class.getResourceAsStream("/vectors/ima/" + path)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource vectors/ima/" + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String text(String path) {
    return new String(bytes(path), StandardCharsets.UTF_8);
  }
}
