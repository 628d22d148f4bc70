package dev.vouch.server;

import dev.vouch.server.config.ConfigLoader;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Runs the server as {@code vouch server --data-dir DIR --port 0} does, for tests that need a
 * separate JVM (kill -9). Prints {@code listening <url>} once ready.
 */
public final class TestServerMain {
  private TestServerMain() {}

  public static void main(String[] args) throws Exception {
    ServerConfig cfg =
        ConfigLoader.load(
            Optional.empty(), System.getenv(), Optional.of(Path.of(args[0])), Optional.of(0));
    VouchServer server = VouchServer.start(cfg);
    System.out.println("listening " + server.baseUri());
    System.out.flush();
    Thread.currentThread().join();
  }
}
