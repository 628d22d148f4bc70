package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Issue 20's new-user test: the README's two commands, in order, on a machine where swtpm is
 * absent. It drives {@code bin/new-user-check}, which purges swtpm and tpm2-tools inside an overlay
 * of this machine (the machine itself is untouched), clones this checkout where no {@code
 * ../shared} lies beside it, runs the README's first command as written and the install step of its
 * second, and leaves transcripts in {@code target/new-user}.
 *
 * <p>It runs under failsafe, after {@code package}: the clone gets a copy of the jar this build
 * made, so {@code bin/vouch} does not build again. That the build works from nothing is proved by
 * CI's fresh clone, which runs the README's second command ({@code bin/test}) in full; here only
 * that command's install step runs ({@code bin/test --deps-only}), since the whole suite inside the
 * suite would be recursive. What the demo's parts verify, line by line, is {@link
 * DemoCommandTest}'s job; this test proves the path to it: apt installs swtpm, and the demo then
 * shows a verified host, a caught tamper, a released secret and a refused one, and skips nothing.
 *
 * <p>Required under {@code -Dvouch.require.tools=true} (as {@code bin/test} runs) on a machine
 * where it can run (root, with {@code unshare} allowed to make namespaces); aborted, with the
 * reason, otherwise.
 */
class NewUserIT {
  private static final Path CHECK = Path.of("../bin/new-user-check").toAbsolutePath().normalize();
  private static final Path OUT = Path.of("target/new-user").toAbsolutePath();

  @Test
  void theReadmeCommandsInstallSwtpmAndTheDemoShowsEveryPart() throws Exception {
    requireRootWithUnshare();
    List<String> readme = setUpCommands(Files.readString(Path.of("../README.md")));
    assertThat(readme).as("the README's Set up block").hasSize(2);

    Run run = run(List.of(CHECK.toString(), OUT.toString()), 8);
    assertThat(run.exit()).as(run.transcript()).isZero();
    assertThat(read("verdict.txt")).isEqualTo("PASS\n");
    // the script ran the README's commands as this parser reads them, not a copy of its own
    assertThat(read("readme-commands.txt").lines().toList()).isEqualTo(readme);

    assertThat(read("demo.err")).contains("vouch: installing swtpm");
    assertThat(read("demo.out"))
        .contains("first attestation: VERIFIED")
        .contains("after an unexpected extend of PCR 1: ATTESTATION_FAILED (EVENT_LOG_MISMATCH)")
        .contains("RELEASED: the guest attested")
        .contains("REFUSED as expected (a PCR value changed in the evidence): 401")
        .contains("every check behaved as expected")
        .contains("Where to look next:")
        .doesNotContainIgnoringCase("skipped");
    assertThat(read("demo.time")).contains("exit=0");
    assertThat(read("test-deps.err")).contains("installing swtpm swtpm-tools tpm2-tools");
    assertThat(read("test-deps.time")).contains("exit=0");
  }

  @Test
  void theCheckRefusesToRunWithoutRootAndSaysWhy() throws Exception {
    requireRootWithUnshare();
    Path setpriv = Path.of("/usr/bin/setpriv");
    Assumptions.assumeTrue(Files.isExecutable(setpriv), "setpriv (util-linux) not installed");
    Run run =
        run(
            List.of(
                setpriv.toString(),
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                CHECK.toString(),
                "/nonexistent/new-user"),
            1);
    assertThat(run.exit()).as(run.transcript()).isEqualTo(2);
    assertThat(run.transcript()).contains("needs root");
  }

  @Test
  void theSetUpBlockIsReadWithoutItsComments() {
    String page =
        "# T\n```sh\nvouch x\n```\n## Set up\n\ntext\n\n```sh\nbin/a demo   # builds, #1\n\n"
            + "bin/b          # then tests\n```\n```sh\nbin/c\n```\n";
    assertThat(setUpCommands(page)).containsExactly("bin/a demo", "bin/b");
    assertThat(setUpCommands("## Other\n```sh\nbin/a\n```\n")).isEmpty();
  }

  /**
   * The command lines of the first sh block under "## Set up", comments and blank lines dropped.
   */
  static List<String> setUpCommands(String page) {
    List<String> out = new ArrayList<>();
    int section = page.indexOf("\n## Set up\n");
    if (section < 0) {
      return out;
    }
    Matcher b = DocsCommandsTest.SH_BLOCK.matcher(page);
    if (!b.find(section)) {
      return out;
    }
    for (String line : b.group(1).split("\n")) {
      String code = line.replaceAll("\\s#.*$", "").strip();
      if (!code.isEmpty()) {
        out.add(code);
      }
    }
    return out;
  }

  private static void requireRootWithUnshare() {
    boolean root = "root".equals(System.getProperty("user.name"));
    boolean unshare = Files.isExecutable(Path.of("/usr/bin/unshare"));
    boolean required = Boolean.getBoolean("vouch.require.tools");
    if (required && root && unshare) {
      // root in a container without CAP_SYS_ADMIN has the binary but no namespaces to make
      try {
        Run probe = run(List.of("/usr/bin/unshare", "--mount", "--pid", "--fork", "true"), 1);
        Assumptions.assumeTrue(
            probe.exit() == 0, "unshare cannot make namespaces here: " + probe.transcript());
      } catch (Exception e) {
        throw new AssertionError("unshare did not run", e);
      }
      return;
    }
    Assumptions.abort(
        !root
            ? "needs root (an overlay of the machine, dpkg and apt inside it)"
            : !unshare
                ? "needs unshare (util-linux)"
                : "runs with -Dvouch.require.tools=true (bin/test)");
  }

  private static String read(String name) throws IOException {
    return Files.readString(OUT.resolve(name));
  }

  record Run(int exit, String transcript) {}

  /** Runs a command, killing it and everything it started when it exceeds its minutes. */
  private static Run run(List<String> command, int minutes) throws Exception {
    Files.createDirectories(OUT.getParent());
    Path log = Files.createTempFile(OUT.getParent(), "new-user-check", ".log");
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor();
      throw new AssertionError(
          String.join(" ", command) + " took over " + minutes + " min: " + Files.readString(log));
    }
    String transcript = Files.readString(log);
    Files.delete(log);
    return new Run(p.exitValue(), transcript);
  }
}
