package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.tpm.SoftwareTpm;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs docs/first-host.md as written: every {@code sh first-host} block, in order, in one bash with
 * {@code -euo pipefail}, from the repository root, with {@code vouch} on the PATH meaning this
 * build's CLI. Only the lab folder and the ports are chosen by the test (the guide reads them from
 * the environment), so that parallel runs do not collide.
 */
class FirstHostGuideTest {
  static final Path GUIDE = Path.of("../docs/first-host.md");
  static final Pattern BLOCK = Pattern.compile("```sh first-host\\n(.*?)```", Pattern.DOTALL);

  @TempDir Path dir;

  static List<String> blocks() throws IOException {
    List<String> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(Files.readString(GUIDE));
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  @Test
  void theGuideTakesAnSwtpmHostToVerifiedAndCatchesTheTamper() throws Exception {
    List<String> tools = List.of("swtpm", "swtpm_setup", "tpm2_pcrextend", "nats-server", "jq");
    List<String> missing = tools.stream().filter(t -> !SoftwareTpm.onPath(t)).toList();
    boolean caReadable =
        Files.isReadable(Path.of("/var/lib/swtpm-localca/swtpm-localca-rootca-cert.pem"));
    if (!missing.isEmpty() || !caReadable) {
      if (Boolean.getBoolean("vouch.require.tools")) {
        throw new AssertionError("the guide needs " + missing + " and swtpm's local CA");
      }
      Assumptions.abort("missing " + missing + " or swtpm's local CA is unreadable");
    }
    List<String> blocks = blocks();
    assertThat(blocks).hasSizeGreaterThan(8);

    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path vouch = bin.resolve("vouch");
    Files.writeString(
        vouch,
        "#!/usr/bin/env bash\nexec '"
            + ProcessHandle.current().info().command().orElseThrow()
            + "' -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp '"
            + System.getProperty("java.class.path")
            + "' "
            + Main.class.getName()
            + " \"$@\"\n");
    Files.setPosixFilePermissions(vouch, PosixFilePermissions.fromString("rwxr-xr-x"));
    Map<String, String> env =
        Map.of(
            "PATH", bin + ":" + System.getenv("PATH"),
            "LAB", dir.resolve("lab").toString(),
            "TPM_PORT", String.valueOf(freePortPair()),
            "NATS_PORT", String.valueOf(freePort()),
            "VOUCH_PORT", String.valueOf(freePort()));

    String cleanup = blocks.getLast();
    Run run;
    try {
      run = bash(String.join("\n", blocks.subList(0, blocks.size() - 1)), env, 420);
    } finally {
      bash(String.join("\n", blocks.getFirst(), cleanup), env, 60);
    }
    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(run.output())
        .contains("Host lab-host-1: VERIFIED")
        .contains("TOFU ADOPTED")
        .contains("Host lab-host-1: ATTESTATION_FAILED")
        // a poll that falls while the guide has the agent stopped records UNKNOWN in between
        .containsPattern("(VERIFIED|UNKNOWN) -> ATTESTATION_FAILED")
        .contains("EVENT_LOG_MISMATCH: sha256 PCR 1");
  }

  record Run(int exit, String output) {}

  private static Run bash(String script, Map<String, String> env, int seconds) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder("bash", "-c", "set -euo pipefail\n" + script)
            .directory(Path.of("..").toAbsolutePath().normalize().toFile())
            .redirectErrorStream(true);
    pb.environment().putAll(env);
    for (String v :
        List.of("VOUCH_SERVER", "VOUCH_CACERT", "VOUCH_ADMIN_TOKEN", "TPM2TOOLS_TCTI")) {
      pb.environment().remove(v);
    }
    Process p = pb.start();
    // read while it runs: a full pipe would block the script
    java.util.concurrent.CompletableFuture<String> out =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
              } catch (IOException e) {
                return "(output unreadable: " + e + ")";
              }
            });
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
      return new Run(-1, "timed out after " + seconds + " s\n" + out.getNow("(no output yet)"));
    }
    return new Run(p.exitValue(), out.get(30, TimeUnit.SECONDS));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A free port whose successor is free too (swtpm's control port). */
  private static int freePortPair() throws IOException {
    for (int i = 0; i < 50; i++) {
      int p = freePort();
      if (p < 65535) {
        try (ServerSocket s = new ServerSocket(p + 1)) {
          return p;
        } catch (IOException taken) {
          // try another
        }
      }
    }
    throw new IOException("no two adjacent free ports");
  }
}
