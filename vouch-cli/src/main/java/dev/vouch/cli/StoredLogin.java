package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The token {@code vouch login} stored for later admin verbs: {@code
 * $XDG_CONFIG_HOME/vouch/login.json} (default {@code ~/.config/vouch/}), mode 0600 in a 0700
 * directory, written to a temporary file and moved into place so that it is never readable by
 * others, not even for a moment. Holds the server URL, the account, the token, its expiry and the
 * certificate the server was trusted with.
 *
 * @param server the server it was issued by (admin verbs use it only for that server)
 * @param user the account
 * @param token the admin JWT
 * @param expires when it expires
 * @param cacert the absolute path of {@code --cacert} at login, if one was given
 */
record StoredLogin(
    String server, String user, String token, Instant expires, Optional<String> cacert) {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String FILE = "login.json";

  @Override
  public String toString() {
    return "StoredLogin[" + user + "@" + server + ", expires " + expires + "]";
  }

  /**
   * The directory: the system property {@code vouch.config.dir} (for tests and packaging), else
   * {@code $XDG_CONFIG_HOME/vouch}, else {@code ~/.config/vouch}.
   */
  static Path directory() {
    String fixed = System.getProperty("vouch.config.dir");
    if (fixed != null && !fixed.isBlank()) {
      return Path.of(fixed);
    }
    String xdg = System.getenv("XDG_CONFIG_HOME");
    Path base =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".config");
    return base.resolve("vouch");
  }

  /** The stored login for {@code server}, if there is a readable, unexpired one. */
  static Optional<StoredLogin> loadFor(java.net.URI server) {
    String want = server.toString().replaceAll("/+$", "");
    return load().filter(l -> l.server().replaceAll("/+$", "").equals(want));
  }

  /** The stored login, if there is a readable, unexpired one. */
  static Optional<StoredLogin> load() {
    Path f = directory().resolve(FILE);
    if (!Files.isRegularFile(f)) {
      return Optional.empty();
    }
    try {
      JsonNode n = JSON.readTree(Files.readAllBytes(f));
      StoredLogin l =
          new StoredLogin(
              n.path("server").asText(),
              n.path("user").asText(),
              n.path("token").asText(),
              Instant.parse(n.path("expires").asText()),
              n.path("cacert").isTextual()
                  ? Optional.of(n.path("cacert").asText())
                  : Optional.empty());
      return l.expires().isAfter(Instant.now()) && !l.token().isEmpty()
          ? Optional.of(l)
          : Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Writes this login, replacing any earlier one; returns the file. */
  Path save() throws IOException {
    Path dir = directory();
    Files.createDirectories(
        dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path tmp =
        Files.createTempFile(
            dir,
            ".login",
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("server", server);
    m.put("user", user);
    m.put("token", token);
    m.put("expires", expires.toString());
    cacert.ifPresent(c -> m.put("cacert", c));
    try {
      Files.write(tmp, JSON.writeValueAsBytes(m));
      return Files.move(
          tmp,
          dir.resolve(FILE),
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
