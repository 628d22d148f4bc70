package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vouch user ...}: users and service accounts of the server's AAS. */
@Command(
    name = "user",
    description = "Manage users and service accounts (admin API, users:read/users:write).",
    subcommands = {
      UserCommand.Add.class,
      UserCommand.ListUsers.class,
      UserCommand.Disable.class,
      UserCommand.Enable.class,
      UserCommand.Delete.class
    })
final class UserCommand extends CommandGroup {
  private static final String USERS = "/api/v1/users";

  /** A verb about one account named on the command line; the server checks the name. */
  abstract static class OneUser extends AdminVerb {
    @Parameters(index = "0", paramLabel = "NAME", description = "account name")
    String name;

    String path() {
      return USERS + "/" + AdminClient.encode(name);
    }

    int show(PrintWriter out, JsonNode u, String what) {
      return answer(out, u, () -> out.println(what + " " + line(u)));
    }
  }

  @Command(
      name = "add",
      description =
          "Add a user (password from --password-file, else generated and printed once) or, with"
              + " --service, a service account (API keys only).")
  static final class Add extends OneUser {
    @Option(
        names = "--roles",
        required = true,
        split = ",",
        paramLabel = "R1,R2",
        description = "roles, e.g. operator,reader")
    List<String> roles;

    @Option(
        names = "--password-file",
        paramLabel = "FILE",
        description = "file holding the password")
    Path passwordFile;

    @Option(names = "--service", description = "a service account: no password, API keys only")
    boolean service;

    private String password;

    @Override
    void validate() throws CliIo.BadInput {
      if (service && passwordFile != null) {
        throw new CliIo.BadInput("a service account has no password: drop --password-file");
      }
      if (passwordFile != null) {
        password = password(passwordFile, "");
      }
    }

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("name", name);
      body.put("roles", roles);
      body.put("kind", service ? "service" : "user");
      if (password != null) {
        body.put("password", password);
      }
      JsonNode u = client.post(USERS, AdminClient.json(body)).json();
      return answer(
          out,
          u,
          () -> {
            out.println("added " + line(u));
            if (u.has("password")) {
              out.println("generated password (shown once): " + u.path("password").asText());
            }
          });
    }
  }

  @Command(name = "list", description = "List users and service accounts.")
  static final class ListUsers extends AdminVerb {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      return listing(
          out,
          client.get(USERS).json(),
          "users",
          "no accounts",
          "%-24s %-8s %-9s %s",
          List.of("NAME", "KIND", "DISABLED", "ROLES"),
          u ->
              List.of(
                  u.path("name").asText(),
                  u.path("kind").asText(),
                  u.path("disabled").asText(),
                  joined(u.path("roles"))));
    }
  }

  @Command(name = "disable", description = "Disable an account: its tokens and keys stop working.")
  static final class Disable extends OneUser {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      return show(out, client.post(path() + "/disable", new byte[0]).json(), "disabled");
    }
  }

  @Command(name = "enable", description = "Enable a disabled account.")
  static final class Enable extends OneUser {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      return show(out, client.post(path() + "/enable", new byte[0]).json(), "enabled");
    }
  }

  @Command(name = "delete", description = "Delete an account and its API keys.")
  static final class Delete extends OneUser {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      return delete(client, out, path(), name, "deleted account " + name);
    }
  }

  /**
   * The password in {@code file}, or one typed at a terminal prompt when no file is given; {@code
   * missing} is the error when neither is possible (empty: the password is optional).
   */
  static String password(Path file, String missing) throws CliIo.BadInput {
    String pw =
        file != null
            ? LoginCommand.text(CliIo.read(file, "password file"))
            : missing.isEmpty() ? null : LoginCommand.prompt("password");
    if (pw == null && !missing.isEmpty()) {
      throw new CliIo.BadInput(missing);
    }
    if (pw != null && pw.isEmpty()) {
      throw new CliIo.BadInput("the password is empty");
    }
    return pw;
  }

  private static String line(JsonNode u) {
    return u.path("name").asText()
        + " ("
        + u.path("kind").asText()
        + ", roles "
        + joined(u.path("roles"))
        + (u.path("disabled").asBoolean() ? ", disabled" : "")
        + ")";
  }

  /** A JSON array of names as {@code a,b,c}, or {@code -} when empty. */
  static String joined(JsonNode names) {
    StringBuilder sb = new StringBuilder();
    for (JsonNode r : names) {
      sb.append(sb.isEmpty() ? "" : ",").append(r.asText());
    }
    return sb.isEmpty() ? "-" : sb.toString();
  }
}
