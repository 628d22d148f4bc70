package dev.vouch.agent.tpm;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.eventlog.TcgEvent;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.evidence.tpm.ima.ImaEntry;
import dev.vouch.evidence.tpm.ima.ImaLog;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A swtpm process (TPM 2.0 simulator) serving raw TPM commands on a loopback port, for the demo,
 * development and tests. {@link #manufacture} runs {@code swtpm_setup} once into a state folder (EK
 * certificates from swtpm's local CA); {@link #start} serves a state folder. There is no resource
 * manager in front of it: flush what you load.
 */
public final class SoftwareTpm implements AutoCloseable {
  private static final int EV_NO_ACTION = 3;
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
    return start(stateDir, deleteOnClose, freePortPair());
  }

  /**
   * Serves {@code stateDir} on {@code port} (commands) and {@code port + 1} (control): a TPM killed
   * with {@link #kill} comes back where its clients expect it.
   */
  public static SoftwareTpm start(Path stateDir, boolean deleteOnClose, int port)
      throws IOException {
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

  /**
   * Kills swtpm at once (SIGKILL), as a crash or power loss would: no TPM2_Shutdown, no chance to
   * save state. The state folder stays, whatever was asked at start.
   */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The state folder this swtpm serves. */
  public Path stateDir() {
    return stateDir;
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

  /**
   * The certificates of swtpm's local CA, which signs the EK certificates {@link #manufacture}
   * makes: its root and its issuing certificate (PEM paths), found through {@code
   * /etc/swtpm-localca.conf} as {@code swtpm_localca} finds them. A verifier trusts these roots to
   * enroll software TPMs.
   */
  public static List<Path> localCaCertificates() throws IOException {
    String statedir = "/var/lib/swtpm-localca";
    String issuer = null;
    Path conf = Path.of("/etc/swtpm-localca.conf");
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
    return List.of(
        Path.of(statedir, "swtpm-localca-rootca-cert.pem"),
        Path.of(issuer != null ? issuer : statedir + "/issuercert.pem"));
  }

  /**
   * Extends the SHA-256 digest of every measured event for PCRs 0-9 and 12 (firmware and boot
   * loader; systemd-stub measures the kernel command line into 12) of a firmware event log into
   * {@code tpm}, as that firmware did at boot: a software TPM then quotes what the log says. The
   * log must start at locality 0 (swtpm's PCR 0 starts at zero).
   *
   * @throws VerificationException when the log does not parse or an event has no SHA-256 digest
   */
  public static void measureFirmware(TpmClient tpm, byte[] eventLog)
      throws VerificationException, TpmException {
    for (TcgEvent e : TcgEventLog.parse(eventLog).events()) {
      if (e.header().type() == EV_NO_ACTION || (e.header().pcr() > 9 && e.header().pcr() != 12)) {
        continue;
      }
      byte[] d =
          e.header()
              .digest(HashAlg.SHA256)
              .orElseThrow(
                  () ->
                      new VerificationException(
                          Failure.MALFORMED, "an event of the log has no SHA-256 digest"));
      tpm.pcrExtend(e.header().pcr(), Map.of(HashAlg.SHA256, d));
    }
  }

  /**
   * Extends every entry of a binary IMA list into {@code tpm}'s SHA-256 bank as kernels since 5.1
   * do: the SHA-256 of the entry's template data into its PCR, all ones for a violation.
   *
   * @throws VerificationException when the list does not parse
   */
  public static void measureIma(TpmClient tpm, byte[] binaryList)
      throws VerificationException, TpmException {
    for (ImaEntry e : ImaLog.parseBinary(binaryList).entries()) {
      byte[] d = new byte[HashAlg.SHA256.size()];
      if (e.violation()) {
        java.util.Arrays.fill(d, (byte) 0xff);
      } else {
        d = HashAlg.SHA256.digest(e.hashedBytes());
      }
      tpm.pcrExtend(e.pcr(), Map.of(HashAlg.SHA256, d));
    }
  }
}
