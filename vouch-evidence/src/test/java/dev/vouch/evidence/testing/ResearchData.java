package dev.vouch.evidence.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates the shared research folder ({@code ../shared/research} beside the checkout, or the {@code
 * vouch.research} system property) that tests over whole vector folders read. Files copied into
 * test resources are used where licences allow; the whole-folder tests also cover files that may
 * not be copied (GPL).
 *
 * <p>A clone without the folder (what every user outside the team has) skips those tests. Under
 * {@code -Dvouch.require.research=true}, which {@code bin/test} sets in CI and whenever the folder
 * is there, a missing folder fails them instead. This is apart from {@code vouch.require.tools}
 * (swtpm, NATS, PostgreSQL...), which a user can install.
 */
public final class ResearchData {
  /** The start of every skip message, which {@code bin/test} counts. */
  public static final String MISSING = "shared research vectors not found at ";

  private ResearchData() {}

  /** The research folder; skips (or fails when research is required) when it is absent. */
  public static Path root() {
    Path root = location();
    boolean there = Files.isDirectory(root.resolve("vectors"));
    record(there);
    if (!there) {
      if (requireResearch()) {
        fail(MISSING + root + " (required: -Dvouch.require.research=true)");
      }
      Assumptions.abort(MISSING + root);
    }
    return root;
  }

  /** True when the research folder is there; for tests that add research cases to their own. */
  public static boolean present() {
    boolean there = Files.isDirectory(location().resolve("vectors"));
    record(there);
    if (!there && requireResearch()) {
      fail(MISSING + location() + " (required: -Dvouch.require.research=true)");
    }
    return there;
  }

  /**
   * Appends {@code ran CLASS#METHOD} or {@code skipped CLASS#METHOD} (the test or case source that
   * asked) to the file named by {@code vouch.research.log}, which the build sets per module; {@code
   * bin/test} counts the distinct entries. Helpers in {@code .testing} packages are looked through.
   */
  private static void record(boolean found) {
    String log = System.getProperty("vouch.research.log", "");
    if (log.isBlank()) {
      return;
    }
    String who =
        StackWalker.getInstance()
            .walk(
                frames ->
                    frames
                        .map(f -> f.getClassName() + "#" + f.getMethodName())
                        .filter(n -> n.startsWith("dev.vouch.") && !n.contains(".testing."))
                        .findFirst()
                        .orElse("unknown"));
    try {
      Files.writeString(
          Path.of(log),
          (found ? "ran " : "skipped ") + who + "\n",
          java.nio.charset.StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    } catch (java.io.IOException e) {
      // counting is a report for bin/test; a test never fails for it
    }
  }

  private static Path location() {
    String p = System.getProperty("vouch.research", "../../shared/research");
    return Path.of(p).toAbsolutePath().normalize();
  }

  /** {@code vectors/<name>} under the research folder. */
  public static Path vectors(String name) {
    return root().resolve("vectors").resolve(name);
  }

  /** True when tests must not skip for a missing external tool (set by bin/test and CI). */
  public static boolean requireTools() {
    return Boolean.getBoolean("vouch.require.tools");
  }

  /** True when tests must not skip for a missing research folder (CI, or bin/test beside it). */
  public static boolean requireResearch() {
    return Boolean.getBoolean("vouch.require.research");
  }
}
