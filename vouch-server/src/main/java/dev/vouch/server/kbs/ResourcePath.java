package dev.vouch.server.kbs;

import java.util.regex.Pattern;

/**
 * A resource's path {@code <repository>/<type>/<tag>}. Each segment is one or more of {@code
 * [A-Za-z0-9._-]}, is not {@code .} or {@code ..}, and does not start with a dot; exactly three
 * segments. Anything else is refused before any lookup, so no path can escape its repository in a
 * file or key-value backend.
 */
public record ResourcePath(String repository, String type, String tag) {
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");

  public ResourcePath {
    check(repository, "repository");
    check(type, "type");
    check(tag, "tag");
  }

  /**
   * Parses {@code repository/type/tag}.
   *
   * @throws KbsError {@link KbsError.Kind#InvalidRequestPath} for anything but three valid segments
   */
  public static ResourcePath parse(String path) throws KbsError {
    String[] parts = path.split("/", -1);
    if (parts.length != 3) {
      throw new KbsError(
          KbsError.Kind.InvalidRequestPath,
          "a resource path has exactly three segments: repository/type/tag");
    }
    return of(parts[0], parts[1], parts[2]);
  }

  /** Validates three segments. */
  public static ResourcePath of(String repository, String type, String tag) throws KbsError {
    try {
      return new ResourcePath(repository, type, tag);
    } catch (IllegalArgumentException e) {
      throw new KbsError(KbsError.Kind.InvalidRequestPath, e.getMessage());
    }
  }

  private static void check(String segment, String what) {
    if (segment == null || !SEGMENT.matcher(segment).matches()) {
      throw new IllegalArgumentException(
          "resource "
              + what
              + " must be 1-128 characters of [A-Za-z0-9._-], not starting with a dot");
    }
  }

  @Override
  public String toString() {
    return repository + "/" + type + "/" + tag;
  }
}
