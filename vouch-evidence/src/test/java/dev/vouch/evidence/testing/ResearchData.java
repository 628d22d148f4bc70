package dev.vouch.evidence.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates the shared research folder ({@code ../shared/research} beside the checkout) that tests
 * over whole vector folders read. Files copied into test resources are used where licences allow;
 * the whole-folder tests also cover files that may not be copied (GPL). When run through {@code
 * bin/test} ({@code -Dvouch.require.tools=true}) a missing folder fails the test instead of
 * skipping it.
 */
public final class ResearchData {
  private ResearchData() {}

  /** The research folder; skips (or fails under bin/test) when it is absent. */
  public static Path root() {
    String p = System.getProperty("vouch.research", "../../shared/research");
    Path root = Path.of(p).toAbsolutePath().normalize();
    if (!Files.isDirectory(root.resolve("vectors"))) {
      if (Boolean.getBoolean("vouch.require.tools")) {
        fail("shared research vectors not found at " + root);
      }
      Assumptions.abort("shared research vectors not found at " + root);
    }
    return root;
  }

  /** {@code vectors/<name>} under the research folder. */
  public static Path vectors(String name) {
    return root().resolve("vectors").resolve(name);
  }

  /** True when tests must not skip for a missing external tool (set by bin/test and CI). */
  public static boolean requireTools() {
    return Boolean.getBoolean("vouch.require.tools");
  }
}
