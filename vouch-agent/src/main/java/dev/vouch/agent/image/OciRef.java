package dev.vouch.agent.image;

import java.nio.file.Path;
import java.util.Optional;

/**
 * An image in an OCI image layout on disk, written as containers-transports spell it: {@code
 * oci:PATH[:TAG]}. The tag names a manifest through its {@code org.opencontainers.image.ref.name}
 * annotation in index.json; without one, the layout must hold exactly one manifest.
 */
public record OciRef(Path dir, Optional<String> tag) implements SignedImage {

  public OciRef {
    if (dir == null || tag == null) {
      throw new IllegalArgumentException("dir and tag must be given");
    }
    tag.ifPresent(
        t -> {
          if (t.isEmpty()) {
            throw new IllegalArgumentException("empty tag");
          }
        });
  }

  /**
   * Parses {@code oci:PATH[:TAG]}. The last colon splits the tag off, as skopeo does, so a path
   * holding a colon needs an explicit tag.
   *
   * @throws IllegalArgumentException when the text is not an {@code oci:} reference
   */
  public static OciRef parse(String text) {
    if (text == null || !text.startsWith("oci:") || text.length() == 4) {
      throw new IllegalArgumentException("expected oci:PATH[:TAG], got " + text);
    }
    String rest = text.substring(4);
    int colon = rest.lastIndexOf(':');
    if (colon < 0) {
      return new OciRef(Path.of(rest), Optional.empty());
    }
    if (colon == 0 || colon == rest.length() - 1) {
      throw new IllegalArgumentException("empty path or tag in " + text);
    }
    return new OciRef(Path.of(rest.substring(0, colon)), Optional.of(rest.substring(colon + 1)));
  }

  @Override
  public String toString() {
    return "oci:" + dir + tag.map(t -> ":" + t).orElse("");
  }
}
