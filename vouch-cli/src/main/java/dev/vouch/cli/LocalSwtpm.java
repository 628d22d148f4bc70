package dev.vouch.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throw-away software TPM for the demo: manufactured by {@code swtpm_setup} (EK certificates from
 * swtpm's local CA) in a temporary directory and served on loopback ports. Stopped and deleted on
 * {@link #close()}.
 */
final class LocalSwtpm implements AutoCloseable {
  private final Path dir;
  private final Process process;
  private final int port;

  private LocalSwtpm(Path dir, Process process, int port) {
    this.dir = dir;
    this.process = process;
    this.port = port;
  }

  /** True when the swtpm programs are installed. */
  static boolean available() {
    return onPath("swtpm") && onPath("swtpm_setup");
  }

  static LocalSwtpm start() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("vouch-demo-tpm");
    run(
        dir,
        List.of(
            "swtpm_setup",
            "--tpm2",
            "--create-ek-cert",
            "--tpmstate",
            dir.toString(),
            "--config",
            "/etc/swtpm_setup.conf",
            "--overwrite"));
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
    LocalSwtpm tpm = new LocalSwtpm(dir, p, port);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return tpm;
      } catch (IOException e) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          tpm.close();
          throw new IOException(
              "swtpm did not start: " + Files.readString(dir.resolve("swtpm.log")));
        }
        Thread.sleep(50);
      }
    }
  }

  /** The client spec for {@code TpmClient.open}. */
  String spec() {
    return "swtpm:127.0.0.1:" + port;
  }

  private static void run(Path dir, List<String> command) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException(command.get(0) + " failed: " + out);
    }
  }

  private static int freePortPair() throws IOException {
    for (int i = 0; i < 50; i++) {
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      if (port < 65535) {
        try (ServerSocket next =
            new ServerSocket(port + 1, 1, java.net.InetAddress.getLoopbackAddress())) {
          return port;
        } catch (IOException taken) {
          // try another pair
        }
      }
    }
    throw new IOException("no free pair of loopback ports");
  }

  private static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String d : path.split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() throws IOException {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }
}
