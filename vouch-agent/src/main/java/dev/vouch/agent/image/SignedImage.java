package dev.vouch.agent.image;

/** An image on disk whose signatures {@link ImageSignatureVerifier} can judge. */
public sealed interface SignedImage permits OciRef, DirRef {

  /**
   * Parses {@code oci:PATH[:TAG]} or {@code dir:PATH}, as containers-transports spell them.
   *
   * @throws IllegalArgumentException for any other text
   */
  static SignedImage parse(String text) {
    if (text != null && text.startsWith("dir:")) {
      if (text.length() == 4) {
        throw new IllegalArgumentException("empty path in " + text);
      }
      return new DirRef(java.nio.file.Path.of(text.substring(4)));
    }
    try {
      return OciRef.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("expected oci:PATH[:TAG] or dir:PATH, got " + text);
    }
  }
}
