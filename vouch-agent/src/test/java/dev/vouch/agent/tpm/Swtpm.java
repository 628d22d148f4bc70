package dev.vouch.agent.tpm;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
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

  private SoftwareTpm tpm;

  private Swtpm(SoftwareTpm tpm) {
    this.tpm = tpm;
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
      return new Swtpm(SoftwareTpm.start(dir, true));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static synchronized Path manufacturedState() throws IOException {
    if (manufactured == null) {
      Path dir = Files.createTempDirectory("vouch-swtpm-manufactured-");
      // three banks, as on real TPMs with SHA-1 and SHA-256 (+384): multi-bank PCR code runs
      SoftwareTpm.manufacture(dir, "sha1,sha256,sha384");
      copyLocalCa(dir.resolve("ca"));
      manufactured = dir;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> SoftwareTpm.deleteTree(dir)));
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
    List<Path> ca = SoftwareTpm.localCaCertificates();
    Files.createDirectories(to);
    Files.copy(ca.get(0), to.resolve("root.pem"), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(ca.get(1), to.resolve("issuer.pem"), StandardCopyOption.REPLACE_EXISTING);
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

  /**
   * Kills swtpm with SIGKILL (no TPM2_Shutdown, as a crash or power loss) and starts it again on
   * the same ports from the same state folder; swtpm runs TPM2_Startup(CLEAR) itself.
   */
  public void crashAndRestart() throws IOException {
    tpm.kill();
    tpm = SoftwareTpm.start(tpm.stateDir(), true, tpm.port());
  }

  /** Kills swtpm with SIGKILL and leaves it down until {@link #restart}. */
  public void crash() {
    tpm.kill();
  }

  /** Starts a crashed swtpm again on the same ports from the same state folder. */
  public void restart() throws IOException {
    tpm = SoftwareTpm.start(tpm.stateDir(), true, tpm.port());
  }

  public int port() {
    return tpm.port();
  }

  /**
   * Power-cycles the simulated TPM through swtpm's control port (CMD_INIT): afterwards the TPM
   * wants TPM2_Startup again, as after a reboot.
   */
  public void powerCycle() throws IOException {
    tpm.powerCycle();
  }

  /** A client on the command port. */
  public TpmClient client() throws TpmException {
    return tpm.client();
  }

  @Override
  public void close() {
    tpm.close();
  }

  public static void deleteTree(Path dir) {
    SoftwareTpm.deleteTree(dir);
  }
}
