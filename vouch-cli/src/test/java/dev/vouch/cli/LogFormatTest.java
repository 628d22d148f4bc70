package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.tpm.SoftwareTpm;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.core.log.LogFormat;
import dev.vouch.core.log.LogLine;
import dev.vouch.server.TestServers;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code vouch server} and {@code vouch agent}, each in its own JVM started as the launcher starts
 * it, with the server's production Logback configuration: an swtpm host enrolls over NATS and is
 * attested, and every line either process writes to standard error is read by the one parser,
 * {@link LogLine#parse}, in the format {@code VOUCH_LOG_FORMAT} asks for.
 */
class LogFormatTest {
  private static final Duration WAIT = Duration.ofSeconds(150);
  private static final String HOST = "log-host-1";

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(LogFormat.class)
  void theServerAndTheAgentWriteOneFormat(LogFormat format) throws Exception {
    List<String> missing =
        List.of("swtpm", "swtpm_setup", "nats-server").stream()
            .filter(t -> !SoftwareTpm.onPath(t))
            .toList();
    List<Path> ca = SoftwareTpm.localCaCertificates();
    if (!missing.isEmpty() || !ca.stream().allMatch(Files::isReadable)) {
      if (Boolean.getBoolean("vouch.require.tools")) {
        throw new AssertionError("the test needs " + missing + " and swtpm's local CA");
      }
      Assumptions.abort("missing " + missing + " or swtpm's local CA is unreadable");
    }
    Path tpmState = dir.resolve("tpm");
    SoftwareTpm.manufacture(tpmState, "sha256");
    Path serverLog = dir.resolve("server.log");
    Path agentLog = dir.resolve("agent.log");
    try (SoftwareTpm tpm = SoftwareTpm.start(tpmState, false);
        NatsServer nats = NatsServer.start()) {
      Path config = dir.resolve("vouch.yaml");
      Files.writeString(
          config,
          "data_dir: "
              + dir.resolve("data")
              + "\nhttp: {host: 127.0.0.1, port: 0}\ntls: {mode: \"off\"}\nregistrar:\n  ek_roots: ["
              + ca.get(0)
              + "]\n  ek_intermediates: ["
              + ca.get(1)
              + "]\n  ek_revocation: false\nhosts:\n  nats_url: \""
              + nats.url()
              + "\"\n");
      Map<String, String> env =
          Map.of(
              LogFormat.ENV, format.name().toLowerCase(), "VOUCH_ADMIN_TOKEN", TestServers.ADMIN);
      Process server = launch(env, serverLog, "server", "--config", config.toString());
      Process agent = null;
      try {
        String url = listening(server);
        agent =
            launch(
                env,
                agentLog,
                "agent",
                "--host-id",
                HOST,
                "--tpm",
                tpm.spec(),
                "--event-log",
                Files.write(dir.resolve("no-events"), new byte[0]).toString(),
                "--nats",
                nats.url(),
                "--server",
                url);
        // the server has attested the host (whatever the verdict) and the agent has logged
        awaitLines(serverLog, l -> l.message().contains(HOST) && l.message().contains("status"));
        awaitLines(agentLog, l -> true);
      } finally {
        for (Process p : new Process[] {agent, server}) {
          if (p != null) {
            p.destroy(); // SIGTERM: shutdown lines are lines too
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
              p.destroyForcibly().waitFor();
            }
          }
        }
      }
    }

    List<LogLine> serverLines = parseAll(serverLog, format);
    List<LogLine> agentLines = parseAll(agentLog, format);
    assertThat(serverLines)
        .anySatisfy(
            l -> {
              assertThat(l.component()).isEqualTo("VouchServer");
              assertThat(l.fields()).containsKey("url");
            });
    assertThat(serverLines).anySatisfy(l -> assertThat(l.message()).contains(HOST));
    assertThat(agentLines).isNotEmpty();
    assertThat(agentLines).anySatisfy(l -> assertThat(l.message()).contains(HOST));
    System.out.printf(
        "LogFormatTest %s: %d server and %d agent lines, all parsed%n",
        format, serverLines.size(), agentLines.size());
  }

  /** Every line of a log, parsed; fails on the first that is not a log line of {@code format}. */
  private static List<LogLine> parseAll(Path log, LogFormat format) throws Exception {
    List<LogLine> out = new ArrayList<>();
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      assertThat(line.startsWith("{"))
          .as("a %s line: %s", format, line)
          .isEqualTo(format == LogFormat.JSON);
      out.add(LogLine.parse(line));
    }
    return out;
  }

  /** A launcher JVM ({@link Main#main}) with the production Logback configuration. */
  private static Process launch(Map<String, String> env, Path stderr, String... args)
      throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                // the test classpath also holds the server's logback-test.xml: name the real one
                "-Dlogback.configurationFile="
                    + Path.of("../vouch-server/src/main/resources/logback.xml")
                        .toAbsolutePath()
                        .normalize(),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
    if (Runtime.version().feature() >= 24) {
      // as bin/vouch runs it: protobuf under CEL would otherwise warn on stderr in the JVM's words
      cmd.add(cmd.size() - 3, "--sun-misc-unsafe-memory-access=allow");
    }
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(stderr.toFile());
    pb.environment().putAll(env);
    return pb.start();
  }

  /** The URL the server prints on standard output once it listens. */
  private static String listening(Process server) throws Exception {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    String prefix = "vouch server listening on ";
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith(prefix)) {
        // keep draining standard output so that the server never blocks on a full pipe
        BufferedReader rest = out;
        Thread.ofVirtual().start(() -> rest.lines().forEach(l -> {}));
        return line.substring(prefix.length()).strip();
      }
    }
    throw new AssertionError("the server exited with " + server.waitFor());
  }

  /** Waits until the log holds a line (parsed) that {@code wanted} accepts. */
  private static void awaitLines(Path log, Predicate<LogLine> wanted) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log)) {
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
          try {
            if (wanted.test(LogLine.parse(line))) {
              return;
            }
          } catch (IllegalArgumentException partial) {
            // the last line may still be being written; every line is checked at the end
          }
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        "no such line in " + log + " within " + WAIT + ":\n" + Files.readString(log));
  }
}
