package dev.vouch.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Assumptions;

/**
 * The shared research folder for the CLI tests, with the rules of vouch-evidence's {@code
 * ResearchData} (whose test classes this module does not see): absent, its tests skip, unless
 * {@code -Dvouch.require.research=true} (CI) makes them fail; each use is noted in {@code
 * vouch.research.log} for bin/test's count.
 */
final class Research {
  private Research() {}

  /** {@code <research>/vectors}; skips, or fails when research is required, when it is absent. */
  static Path vectors() {
    Path v = location().resolve("vectors");
    boolean there = Files.isDirectory(v);
    record(there);
    if (!there) {
      if (Boolean.getBoolean("vouch.require.research")) {
        throw new AssertionError("shared research vectors not found at " + v);
      }
      Assumptions.abort("shared research vectors not found at " + v);
    }
    return v;
  }

  /** True when the folder is there; fails when it is absent but required. */
  static boolean present() {
    boolean there = Files.isDirectory(location().resolve("vectors"));
    record(there);
    if (!there && Boolean.getBoolean("vouch.require.research")) {
      throw new AssertionError("shared research vectors not found at " + location());
    }
    return there;
  }

  private static Path location() {
    return Path.of(System.getProperty("vouch.research", "../../shared/research"))
        .toAbsolutePath()
        .normalize();
  }

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
                        .filter(f -> !f.getClassName().equals(Research.class.getName()))
                        .map(f -> f.getClassName() + "#" + f.getMethodName())
                        .filter(n -> n.startsWith("dev.vouch."))
                        .findFirst()
                        .orElse("unknown"));
    try {
      Files.writeString(
          Path.of(log),
          (found ? "ran " : "skipped ") + who + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      // counting is a report for bin/test; a test never fails for it
    }
  }
}
