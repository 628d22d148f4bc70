package dev.vouch.agent.tpm;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A swtpm process (TPM 2.0 simulator) serving raw TPM commands on a loopback port, for the demo,
 * development and tests. {@link #manufacture} runs {@code swtpm_setup} once into a state folder (EK
 * certificates from swtpm's local CA); {@link #start} serves a state folder. There is no resource
 * manager in front of it: flush what you load.
 */
public final class SoftwareTpm implements AutoCloseable {
  private final Path stateDir;
  private final Process process;
  private final int port;
  private final boolean deleteOnClose;

  private SoftwareTpm(Path stateDir, Process process, int port, boolean deleteOnClose) {
    this.stateDir = stateDir;
    this.process = process;
    this.port = port;
    this.deleteOnClose = deleteOnClose;
  }

  /** True when {@code swtpm} and {@code swtpm_setup} are on the PATH. */
  public static boolean installed() {
    return onPath("swtpm") && onPath("swtpm_setup");
  }

  /** True when {@code tool} is an executable on the PATH. */
  public static boolean onPath(String tool) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String d : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Manufactures a TPM into {@code stateDir}: EK certificates (and a platform certificate) signed
   * by swtpm's local CA.
   *
   * @param pcrBanks e.g. {@code "sha1,sha256,sha384"}, or null for swtpm's default (sha256)
   */
  public static void manufacture(Path stateDir, String pcrBanks) throws IOException {
    Files.createDirectories(stateDir);
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "swtpm_setup",
                "--tpm2",
                "--create-ek-cert",
                "--create-platform-cert",
                "--tpmstate",
                stateDir.toString(),
                "--config",
                "/etc/swtpm_setup.conf",
                "--overwrite"));
    if (pcrBanks != null) {
      cmd.add("--pcr-banks");
      cmd.add(pcrBanks);
    }
    Path log = stateDir.resolve("setup.log");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException("swtpm_setup failed: " + Files.readString(log));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while manufacturing a TPM", e);
    }
  }

  /**
   * Serves {@code stateDir} on two free adjacent loopback ports (command, control) and waits until
   * the command port answers.
   *
   * @param deleteOnClose delete {@code stateDir} when the TPM is closed
   */
  public static SoftwareTpm start(Path stateDir, boolean deleteOnClose) throws IOException {
    int port = freePortPair();
    Process p =
        new ProcessBuilder(
                "swtpm",
                "socket",
                "--tpm2",
                "--server",
                "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
                "--ctrl",
                "type=tcp,port=" + (port + 1) + ",bindaddr=127.0.0.1",
                "--tpmstate",
                "dir=" + stateDir,
                "--flags",
                "not-need-init,startup-clear")
            .redirectErrorStream(true)
            .redirectOutput(stateDir.resolve("swtpm.log").toFile())
            .start();
    SoftwareTpm tpm = new SoftwareTpm(stateDir, p, port, deleteOnClose);
    tpm.awaitPort();
    return tpm;
  }

  /** The command port. */
  public int port() {
    return port;
  }

  /** The spec for {@link TpmClient#open}: {@code swtpm:127.0.0.1:PORT}. */
  public String spec() {
    return "swtpm:127.0.0.1:" + port;
  }

  /** A client on the command port. */
  public TpmClient client() throws TpmException {
    return new TpmClient(new SwtpmTcpTransport("127.0.0.1", port));
  }

  /**
   * Power-cycles the TPM through swtpm's control port (CMD_INIT): afterwards it wants TPM2_Startup
   * again, as after a reboot.
   */
  public void powerCycle() throws IOException {
    try (Socket s = new Socket("127.0.0.1", port + 1)) {
      s.setSoTimeout(5_000);
      s.getOutputStream().write(new byte[] {0, 0, 0, 2, 0, 0, 0, 0});
      byte[] result = s.getInputStream().readNBytes(4);
      if (result.length != 4 || (result[0] | result[1] | result[2] | result[3]) != 0) {
        throw new IOException("swtpm CMD_INIT failed");
      }
    }
  }

  private void awaitPort() throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        String log = Files.readString(stateDir.resolve("swtpm.log"));
        close();
        throw new IOException("swtpm exited: " + log);
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    close();
    throw new IOException("swtpm did not open port " + port);
  }

  private static int freePortPair() throws IOException {
    for (int i = 0; i < 50; i++) {
      int p;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        p = s.getLocalPort();
      }
      if (p < 65535 && isFree(p + 1)) {
        return p;
      }
    }
    throw new IOException("no two adjacent free loopback ports");
  }

  private static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Stops swtpm by its PID, and deletes the state folder when asked to at start. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    if (deleteOnClose) {
      deleteTree(stateDir);
    }
  }

  /** Deletes a folder tree, best effort (temporary state only). */
  public static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException ignored) {
      // temporary files; leaving them behind changes nothing
    }
  }
}
