package dev.vouch.evidence.tpm;

import static org.junit.jupiter.api.Assertions.fail;

import dev.vouch.evidence.testing.ResearchData;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A software TPM for tests: manufactures a fresh TPM 2.0 (EK certificates included) in a temporary
 * state directory with {@code swtpm_setup}, runs {@code swtpm socket} on free loopback ports, and
 * runs tpm2-tools against it. There is no resource manager, so callers flush transient objects
 * ({@link #flush()}) after commands that load any. {@link #close()} stops the simulator it started,
 * by its process, and removes the state directory.
 */
final class Swtpm implements AutoCloseable {
  private static final List<String> TOOLS =
      List.of(
          "swtpm",
          "swtpm_setup",
          "tpm2_createak",
          "tpm2_evictcontrol",
          "tpm2_readpublic",
          "tpm2_pcrextend",
          "tpm2_quote",
          "tpm2_flushcontext");

  private final Path dir;
  private final Process process;
  private final int port;

  private Swtpm(Path dir, Process process, int port) {
    this.dir = dir;
    this.process = process;
    this.port = port;
  }

  /**
   * Starts a fresh simulator. When swtpm or tpm2-tools are missing the calling test is skipped, or
   * failed when {@link ResearchData#requireTools()} is set.
   */
  static Swtpm start() throws Exception {
    List<String> missing = TOOLS.stream().filter(t -> !onPath(t)).toList();
    if (!missing.isEmpty()) {
      String why = "swtpm/tpm2-tools missing: " + missing;
      if (ResearchData.requireTools()) {
        fail(why);
      }
      Assumptions.abort(why);
    }
    Path dir = Files.createTempDirectory("vouch-swtpm");
    Path state = Files.createDirectory(dir.resolve("state"));
    exec(
        dir,
        List.of(
            "swtpm_setup",
            "--tpm2",
            "--create-ek-cert",
            "--tpmstate",
            state.toString(),
            "--config",
            "/etc/swtpm_setup.conf"),
        null);
    int port = freePortPair();
    int ctrl = port + 1;
    Process p =
        new ProcessBuilder(
                "swtpm",
                "socket",
                "--tpm2",
                "--server",
                "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
                "--ctrl",
                "type=tcp,port=" + ctrl + ",bindaddr=127.0.0.1",
                "--tpmstate",
                "dir=" + state,
                "--flags",
                "not-need-init,startup-clear")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("swtpm.log").toFile())
            .start();
    Swtpm tpm = new Swtpm(dir, p, port);
    try {
      tpm.awaitListening();
    } catch (Exception e) {
      tpm.close();
      throw e;
    }
    return tpm;
  }

  private static boolean onPath(String tool) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String d : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }

  /** A free port whose successor is free too: the swtpm TCTI expects the control port there. */
  private static int freePortPair() throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        int p = s.getLocalPort();
        if (p < 65535) {
          try {
            new ServerSocket(p + 1, 1, java.net.InetAddress.getLoopbackAddress()).close();
            return p;
          } catch (IOException taken) {
            // try another pair
          }
        }
      }
    }
    throw new IOException("no free pair of loopback ports");
  }

  private void awaitListening() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "swtpm exited: " + Files.readString(dir.resolve("swtpm.log")));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        Thread.sleep(50);
      }
    }
    throw new IllegalStateException("swtpm did not listen on port " + port);
  }

  /** The working directory where tool outputs land. */
  Path dir() {
    return dir;
  }

  /** Runs a tpm2-tools command in {@link #dir()} against this TPM; fails on a non-zero exit. */
  String tpm2(String... command) throws Exception {
    try {
      return exec(dir, List.of(command), "swtpm:host=127.0.0.1,port=" + port);
    } catch (IllegalStateException e) {
      throw new IllegalStateException(
          e.getMessage()
              + "\nswtpm "
              + (process.isAlive() ? "running" : "exited " + process.exitValue())
              + ", log: "
              + Files.readString(dir.resolve("swtpm.log")),
          e);
    }
  }

  /** Flushes transient objects and sessions (there is no resource manager). */
  void flush() throws Exception {
    tpm2("tpm2_flushcontext", "-t");
    tpm2("tpm2_flushcontext", "-s");
  }

  private static String exec(Path dir, List<String> command, String tcti) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile());
    pb.redirectErrorStream(true);
    if (tcti != null) {
      pb.environment().put("TPM2TOOLS_TCTI", tcti);
    }
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(command + " timed out");
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IllegalStateException(command + " exited " + p.exitValue() + ": " + text);
    }
    return text;
  }

  @Override
  public void close() throws IOException {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }
}
