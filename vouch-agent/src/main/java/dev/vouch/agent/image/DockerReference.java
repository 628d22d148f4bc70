package dev.vouch.agent.image;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A fully qualified container image reference, {@code HOST[:PORT]/PATH[:TAG][@sha256:HEX]}, as the
 * simple-signing payload and containers-policy.json scopes name images. Short names ({@code
 * busybox}) are refused rather than expanded to a default registry: a signature policy must not
 * depend on a guess.
 */
public record DockerReference(String repository, Optional<String> tag, Optional<String> digest) {
  private static final Pattern HOST =
      Pattern.compile("(localhost|[a-z0-9-]+(\\.[a-z0-9-]+)+|[a-z0-9.-]+:[0-9]{1,5})");
  private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+([._-]+[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

  /**
   * Parses a reference.
   *
   * @throws IllegalArgumentException when it is not fully qualified or not well formed
   */
  public static DockerReference parse(String text) {
    if (text == null || text.isEmpty() || text.length() > 512) {
      throw new IllegalArgumentException("an image reference is 1-512 characters");
    }
    String rest = text;
    Optional<String> digest = Optional.empty();
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = Optional.of(rest.substring(at + 1));
      if (!DIGEST.matcher(digest.get()).matches()) {
        throw new IllegalArgumentException("digest of " + text + " is not sha256:<64 hex>");
      }
      rest = rest.substring(0, at);
    }
    Optional<String> tag = Optional.empty();
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = Optional.of(rest.substring(colon + 1));
      if (!TAG.matcher(tag.get()).matches()) {
        throw new IllegalArgumentException("tag of " + text + " is not valid");
      }
      rest = rest.substring(0, colon);
    }
    String[] parts = rest.split("/", -1);
    if (parts.length < 2 || !HOST.matcher(parts[0]).matches()) {
      throw new IllegalArgumentException(
          text + " is not fully qualified (HOST/PATH[:TAG][@DIGEST], e.g. quay.io/org/app:v1)");
    }
    for (int i = 1; i < parts.length; i++) {
      if (!COMPONENT.matcher(parts[i]).matches()) {
        throw new IllegalArgumentException("path component '" + parts[i] + "' of " + text);
      }
    }
    return new DockerReference(rest, tag, digest);
  }

  /** The registry host (with port), the first component. */
  public String host() {
    return repository.substring(0, repository.indexOf('/'));
  }

  @Override
  public String toString() {
    return repository + tag.map(t -> ":" + t).orElse("") + digest.map(d -> "@" + d).orElse("");
  }
}
