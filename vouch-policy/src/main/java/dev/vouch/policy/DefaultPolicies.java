package dev.vouch.policy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The strict default policy per evidence kind, shipped as resources ({@code
 * dev/vouch/policy/defaults/<kind>.yaml}) and compiled on load. Their ids are {@code
 * default-<kind>}. Each requires known reference values (a missing reference value fails its rule)
 * and debug off.
 */
public final class DefaultPolicies {
  /** The evidence kinds that have a default policy. */
  public static final List<String> KINDS =
      List.of(
          "tpm", "tdx", "sgx", "snp", "cca", "sample", "az-snp-vtpm", "az-tdx-vtpm", "container");

  private DefaultPolicies() {}

  /** The id a default policy gets, e.g. {@code default-tpm}. */
  public static String id(String kind) {
    return "default-" + kind;
  }

  /** The YAML source of a default policy. */
  public static String source(String kind) {
    if (!KINDS.contains(kind)) {
      throw new IllegalArgumentException("no default policy for evidence kind " + kind);
    }
    String path = "defaults/" + kind + ".yaml";
    try (InputStream in = DefaultPolicies.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The compiled default policy for an evidence kind.
   *
   * @throws IllegalArgumentException for a kind without a default policy
   */
  public static Policy load(String kind) {
    try {
      return PolicyCompiler.compile(id(kind), source(kind));
    } catch (PolicyException e) {
      // the defaults are compiled by the tests; reaching this is a packaging error
      throw new IllegalStateException(e.getMessage(), e);
    }
  }
}
