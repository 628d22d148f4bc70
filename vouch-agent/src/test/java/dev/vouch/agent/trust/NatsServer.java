package dev.vouch.agent.trust;

import static org.junit.jupiter.api.Assertions.fail;

import dev.vouch.agent.tpm.Swtpm;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real nats-server with JetStream on 127.0.0.1 and a free port, storing under a temporary folder,
 * stopped by PID in {@link #close()}. Skips (or fails under -Dvouch.require.tools=true) when
 * nats-server is not installed; Debian installs it in /usr/sbin.
 */
public final class NatsServer implements AutoCloseable {
  private final Process process;
  private final Path dir;
  private final int port;
  private final String config;

  private NatsServer(Process process, Path dir, int port, String config) {
    this.process = process;
    this.dir = dir;
    this.port = port;
    this.config = config;
  }

  public static NatsServer start() throws IOException {
    return start(null);
  }

  /**
   * A nats-server with these extra configuration lines (e.g. an operator and its resolver) and no
   * JetStream (in operator mode it would need a system account).
   */
  public static NatsServer withConfig(String config) throws IOException {
    return start(config);
  }

  private static NatsServer start(String config) throws IOException {
    Path dir = Files.createTempDirectory("vouch-nats-");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    return start(config, dir, port);
  }

  /**
   * Kills this nats-server at once (SIGKILL, as a crash or an OOM kill would) and starts a new one
   * on the same port and storage folder, which clients reconnect to. Returns the new server; close
   * that one (this one has nothing left to stop but its folder, which the new one keeps).
   *
   * @param down runs while no server listens (the outage)
   */
  public NatsServer killAndRestart(Runnable down) throws IOException {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while killing nats-server", e);
    }
    down.run();
    return start(config, dir, port);
  }

  private static NatsServer start(String config, Path dir, int port) throws IOException {
    String exe =
        Files.isExecutable(Path.of("/usr/sbin/nats-server"))
            ? "/usr/sbin/nats-server"
            : "nats-server";
    if (!exe.startsWith("/")) {
      Swtpm.requireTool("nats-server");
    }
    java.util.List<String> command =
        new java.util.ArrayList<>(
            java.util.List.of(exe, "-a", "127.0.0.1", "-p", Integer.toString(port)));
    if (config == null) {
      command.addAll(java.util.List.of("-js", "-sd", dir.resolve("store").toString()));
    } else {
      Path conf = dir.resolve("nats.conf");
      Files.writeString(conf, config);
      command.addAll(java.util.List.of("-c", conf.toString()));
    }
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("nats.log").toFile()))
            .start();
    NatsServer n = new NatsServer(p, dir, port, config);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        fail("nats-server exited: " + Files.readString(dir.resolve("nats.log")));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return n;
      } catch (IOException notYet) {
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    n.close();
    fail("nats-server did not open port " + port);
    return n;
  }

  /** What the server logged so far. */
  public String log() throws IOException {
    return Files.readString(dir.resolve("nats.log"));
  }

  public String url() {
    return "nats://127.0.0.1:" + port;
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
    Swtpm.deleteTree(dir);
  }
}
