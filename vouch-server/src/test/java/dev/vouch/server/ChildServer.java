package dev.vouch.server;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A {@code vouch server} in a child JVM ({@link TestServerMain}) on a data dir, for tests that kill
 * it with SIGKILL and start it again on the same data.
 */
public record ChildServer(Process process, URI base) {

  /**
   * The environment of a plain-HTTP child with the test admin token, on H2 or the given database.
   */
  public static Map<String, String> env(Optional<String> jdbcUrl, Optional<String> user) {
    Map<String, String> env = new HashMap<>();
    env.put("VOUCH_TLS_MODE", "off");
    env.put("VOUCH_HTTP_HOST", "127.0.0.1");
    env.put("VOUCH_ADMIN_TOKEN", TestServers.ADMIN);
    jdbcUrl.ifPresent(u -> env.put("VOUCH_STORAGE_JDBC_URL", u));
    user.ifPresent(u -> env.put("VOUCH_STORAGE_USERNAME", u));
    return env;
  }

  /**
   * The same, on the test database {@code db} of the given kind ({@code h2} or {@code postgresql}).
   */
  public static Map<String, String> env(
      String kind, dev.vouch.server.store.TestDatabases.Handle db) {
    return kind.equals("postgresql")
        ? env(Optional.of(db.url()), db.user())
        : env(Optional.empty(), Optional.empty());
  }

  /** Starts a child and waits until it listens; its log is discarded. */
  public static ChildServer start(Path dataDir, Map<String, String> env) throws Exception {
    return start(dataDir, env, Optional.empty());
  }

  /** Starts a child, its standard error (the log) written to {@code log} when given. */
  public static ChildServer start(Path dataDir, Map<String, String> env, Optional<Path> log)
      throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            TestServerMain.class.getName(),
            dataDir.toString());
    pb.environment().putAll(env);
    pb.redirectError(
        log.map(p -> ProcessBuilder.Redirect.to(p.toFile()))
            .orElse(ProcessBuilder.Redirect.DISCARD));
    Process p = pb.start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith("listening ")) {
        return new ChildServer(p, URI.create(line.substring("listening ".length()).strip()));
      }
    }
    p.destroyForcibly();
    throw new AssertionError("the child server exited with " + p.waitFor());
  }

  /** SIGKILL, and wait until it is gone. */
  public void kill() throws Exception {
    process.destroyForcibly();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      throw new AssertionError("the child server did not die");
    }
  }
}
