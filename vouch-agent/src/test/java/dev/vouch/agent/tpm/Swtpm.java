package dev.vouch.agent.tpm;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real swtpm (TPM 2.0 simulator) on 127.0.0.1 for tests. The TPM is manufactured once per JVM
 * with {@code swtpm_setup} (EK certificates, platform certificate, PCR banks SHA-1, SHA-256 and
 * SHA-384), and every instance starts from a copy of that state on its own free ports. Stopped by
 * PID in {@link #close()}.
 *
 * <p>When swtpm is not installed the test is skipped, or fails under {@code
 * -Dvouch.require.tools=true} (bin/test).
 */
public final class Swtpm implements AutoCloseable {
  private static Path manufactured;

  private final Path dir;
  private final Process process;
  private final int port;

  private Swtpm(Path dir, Process process, int port) {
    this.dir = dir;
    this.process = process;
    this.port = port;
  }

  /** Starts a fresh swtpm from the manufactured state. */
  public static Swtpm start() {
    requireTool("swtpm");
    requireTool("swtpm_setup");
    try {
      Path state = manufacturedState();
      Path dir = Files.createTempDirectory("vouch-swtpm-");
      try (Stream<Path> files = Files.list(state)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
      }
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
                  "dir=" + dir,
                  "--flags",
                  "not-need-init,startup-clear")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("swtpm.log").toFile())
              .start();
      Swtpm s = new Swtpm(dir, p, port);
      s.awaitPort();
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static synchronized Path manufacturedState() throws IOException {
    if (manufactured == null) {
      Path dir = Files.createTempDirectory("vouch-swtpm-manufactured-");
      run(
          List.of(
              "swtpm_setup",
              "--tpm2",
              "--create-ek-cert",
              "--create-platform-cert",
              // three banks, as on real TPMs with SHA-1 and SHA-256 (+384): multi-bank PCR code
              // runs
              "--pcr-banks",
              "sha1,sha256,sha384",
              "--tpmstate",
              dir.toString(),
              "--config",
              "/etc/swtpm_setup.conf"),
          dir.resolve("setup.log"));
      copyLocalCa(dir.resolve("ca"));
      manufactured = dir;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
    }
    return manufactured;
  }

  /**
   * The swtpm local CA that signed the EK certificates: its root and its issuing certificate (PEM),
   * copied when the TPM was manufactured. Found through /etc/swtpm-localca.conf as swtpm_localca
   * finds them.
   */
  public static List<Path> localCaCertificates() throws IOException {
    Path ca = manufacturedState().resolve("ca");
    return List.of(ca.resolve("root.pem"), ca.resolve("issuer.pem"));
  }

  private static void copyLocalCa(Path to) throws IOException {
    Path conf = Path.of("/etc/swtpm-localca.conf");
    String statedir = "/var/lib/swtpm-localca";
    String issuer = null;
    if (Files.isReadable(conf)) {
      for (String line : Files.readAllLines(conf)) {
        String[] kv = line.split("=", 2);
        if (kv.length == 2 && kv[0].strip().equals("statedir")) {
          statedir = kv[1].strip();
        } else if (kv.length == 2 && kv[0].strip().equals("issuercert")) {
          issuer = kv[1].strip();
        }
      }
    }
    Path issuerCert = Path.of(issuer != null ? issuer : statedir + "/issuercert.pem");
    Path rootCert = Path.of(statedir, "swtpm-localca-rootca-cert.pem");
    Files.createDirectories(to);
    Files.copy(rootCert, to.resolve("root.pem"), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(issuerCert, to.resolve("issuer.pem"), StandardCopyOption.REPLACE_EXISTING);
  }

  private static void run(List<String> cmd, Path log) throws IOException {
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        fail(cmd.get(0) + " failed: " + Files.readString(log));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      fail("interrupted while running " + cmd.get(0));
    }
  }

  /** Skips the test when {@code tool} is missing, or fails under -Dvouch.require.tools=true. */
  public static void requireTool(String tool) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String d : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return;
      }
    }
    if (Boolean.getBoolean("vouch.require.tools")) {
      fail(tool + " is not installed (run bin/install-test-deps)");
    }
    Assumptions.abort(tool + " is not installed");
  }

  private static int freePortPair() throws IOException {
    for (int i = 0; i < 50; i++) {
      int p;
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        p = s.getLocalPort();
      }
      if (p < 65535 && isFree(p + 1)) {
        return p;
      }
    }
    throw new IOException("no two adjacent free ports");
  }

  private static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void awaitPort() throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        fail("swtpm exited: " + Files.readString(dir.resolve("swtpm.log")));
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
    fail("swtpm did not open port " + port);
  }

  public int port() {
    return port;
  }

  /**
   * Power-cycles the simulated TPM through swtpm's control port (CMD_INIT): afterwards the TPM
   * wants TPM2_Startup again, as after a reboot.
   */
  public void powerCycle() throws IOException {
    try (Socket s = new Socket("127.0.0.1", port + 1)) {
      s.setSoTimeout(5_000);
      s.getOutputStream().write(new byte[] {0, 0, 0, 2, 0, 0, 0, 0});
      byte[] result = s.getInputStream().readNBytes(4);
      if (result.length != 4 || (result[0] | result[1] | result[2] | result[3]) != 0) {
        fail("swtpm CMD_INIT failed");
      }
    }
  }

  /** A client on the command port. */
  public TpmClient client() throws TpmException {
    return new TpmClient(new SwtpmTcpTransport("127.0.0.1", port));
  }

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
    deleteTree(dir);
  }

  public static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException ignored) {
      // temporary files; leaving them behind does not change any test outcome
    }
  }
}
