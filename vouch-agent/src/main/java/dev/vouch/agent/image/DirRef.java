package dev.vouch.agent.image;

import java.nio.file.Path;

/**
 * An image in containers/image's {@code dir:} transport, as skopeo writes it: {@code
 * manifest.json}, blobs named by their hex digest, and signatures in {@code signature-1}, {@code
 * signature-2}, ... Upstream skopeo stores sigstore signatures only in this transport (and
 * registries): its {@code oci:} destination refuses to hold signatures.
 */
public record DirRef(Path dir) implements SignedImage {

  public DirRef {
    if (dir == null) {
      throw new IllegalArgumentException("dir must be given");
    }
  }

  @Override
  public String toString() {
    return "dir:" + dir;
  }
}
