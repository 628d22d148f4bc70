package dev.vouch.agent.kbs;

import java.util.regex.Pattern;

/**
 * A KBS resource as Confidential Containers names it: {@code kbs://[ADDRESS]/REPO/TYPE/TAG}, most
 * often with an empty address ({@code kbs:///default/key/1}: "the KBS this guest attests to").
 * Image key-provider annotations and sealed secrets carry it to say which key-encryption key
 * unwraps them. Segments are restricted to the characters a KBS path segment may hold, so a name
 * never climbs out of its repository.
 */
public record ResourceUri(String address, String repository, String type, String tag) {
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");
  private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9.:\\[\\]-]{0,255}");

  public ResourceUri {
    if (address == null || !ADDRESS.matcher(address).matches()) {
      throw new IllegalArgumentException("KBS address '" + address + "' is not a host[:port]");
    }
    for (String s : new String[] {repository, type, tag}) {
      if (s == null || !SEGMENT.matcher(s).matches()) {
        throw new IllegalArgumentException(
            "resource segment '" + s + "' is not [A-Za-z0-9._-] (and does not start with a dot)");
      }
    }
  }

  /**
   * Parses {@code kbs://[ADDRESS]/REPO/TYPE/TAG}.
   *
   * @throws IllegalArgumentException for any other form
   */
  public static ResourceUri parse(String text) {
    if (text == null || !text.startsWith("kbs://")) {
      throw new IllegalArgumentException("expected kbs://[ADDRESS]/REPO/TYPE/TAG, got " + text);
    }
    String rest = text.substring("kbs://".length());
    int slash = rest.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("no resource path in " + text);
    }
    String[] seg = rest.substring(slash + 1).split("/", -1);
    if (seg.length != 3) {
      throw new IllegalArgumentException("a resource path is REPO/TYPE/TAG, got " + text);
    }
    return new ResourceUri(rest.substring(0, slash), seg[0], seg[1], seg[2]);
  }

  /** Parses {@code REPO/TYPE/TAG} as a resource of the KBS this guest attests to. */
  public static ResourceUri ofPath(String path) {
    String[] seg = path == null ? new String[0] : path.split("/", -1);
    if (seg.length != 3) {
      throw new IllegalArgumentException("a resource path is REPO/TYPE/TAG, got " + path);
    }
    return new ResourceUri("", seg[0], seg[1], seg[2]);
  }

  /** {@code REPO/TYPE/TAG}. */
  public String path() {
    return repository + "/" + type + "/" + tag;
  }

  @Override
  public String toString() {
    return "kbs://" + address + "/" + path();
  }
}
