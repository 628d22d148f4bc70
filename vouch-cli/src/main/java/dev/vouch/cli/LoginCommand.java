package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vouch login --server URL --user NAME [--password-file F]}: exchanges a password for an
 * admin JWT ({@code POST /api/v1/auth/token}) and stores it for the admin verbs (see {@link
 * StoredLogin}). The password comes from the file or, on a terminal, a prompt without echo; never
 * from an option, which other local users could read in the process list. The token is not printed.
 */
@Command(
    name = "login",
    description =
        "Log in with a password; the admin verbs then use the stored token (~/.config/vouch/,"
            + " 0600).")
final class LoginCommand extends AdminVerb {
  @Option(names = "--user", required = true, paramLabel = "NAME", description = "account name")
  String user;

  @Option(
      names = "--password-file",
      paramLabel = "FILE",
      description = "file holding the password (default: prompt on the terminal)")
  Path passwordFile;

  private String password;

  @Override
  boolean needsToken() {
    return false;
  }

  @Override
  void validate() throws CliIo.BadInput {
    password = UserCommand.password(passwordFile, "no password: give --password-file FILE");
  }

  @Override
  int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed, IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("username", user);
    body.put("password", password);
    JsonNode answer;
    try {
      answer = client.post("/api/v1/auth/token", AdminClient.json(body)).json();
    } finally {
      password = null;
    }
    long seconds = answer.path("expires_in").asLong();
    Path file;
    try {
      file =
          new StoredLogin(
                  server.serverUri().toString(),
                  user,
                  answer.path("token").asText(),
                  Instant.now().plusSeconds(seconds),
                  Optional.ofNullable(server.cacert).map(p -> p.toAbsolutePath().toString()))
              .save();
    } catch (CliIo.BadInput e) {
      throw new IllegalStateException("the server was checked before the call", e);
    }
    Map<String, Object> res = new LinkedHashMap<>();
    res.put("user", user);
    res.put("expires_in", seconds);
    res.put("stored", file.toString());
    return answer(
        out,
        res,
        () ->
            out.println(
                "logged in as " + user + "; token valid " + seconds + " s, stored in " + file));
  }

  /** A console prompt when there is a terminal. */
  static String prompt(String what) {
    Console c = System.console();
    if (c == null) {
      return null;
    }
    char[] pw = c.readPassword("%s: ", what);
    return pw == null ? null : new String(pw);
  }

  static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8).strip();
  }
}
