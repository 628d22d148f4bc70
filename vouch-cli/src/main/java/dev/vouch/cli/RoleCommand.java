package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vouch role ...}: built-in and custom roles of the server's AAS. */
@Command(
    name = "role",
    description = "List roles; create, replace or delete custom roles (admin API).",
    subcommands = {RoleCommand.ListRoles.class, RoleCommand.Put.class, RoleCommand.Delete.class})
final class RoleCommand extends CommandGroup {
  private static final String ROLES = "/api/v1/roles";

  @Command(name = "list", description = "List built-in and custom roles with their permissions.")
  static final class ListRoles extends AdminVerb {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      return listing(
          out,
          client.get(ROLES).json(),
          "roles",
          "no roles",
          "%-20s %-8s %s",
          List.of("NAME", "BUILTIN", "PERMISSIONS"),
          r ->
              List.of(
                  r.path("name").asText(),
                  r.path("builtin").asText(),
                  UserCommand.joined(r.path("permissions"))));
    }
  }

  @Command(
      name = "put",
      description = "Create or replace a custom role from resource:action permissions.")
  static final class Put extends AdminVerb {
    @Parameters(index = "0", paramLabel = "NAME", description = "role name")
    String name;

    @Option(
        names = "--permissions",
        required = true,
        split = ",",
        paramLabel = "P1,P2",
        description = "permissions, e.g. hosts:read,reports:read")
    List<String> permissions;

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      JsonNode r =
          client
              .put(
                  ROLES + "/" + AdminClient.encode(name),
                  AdminClient.json(Map.of("permissions", permissions)))
              .json();
      return answer(
          out,
          r,
          () ->
              out.println(
                  "stored role "
                      + r.path("name").asText()
                      + ": "
                      + UserCommand.joined(r.path("permissions"))));
    }
  }

  @Command(name = "delete", description = "Delete a custom role.")
  static final class Delete extends AdminVerb {
    @Parameters(index = "0", paramLabel = "NAME", description = "role name")
    String name;

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      return delete(
          client, out, ROLES + "/" + AdminClient.encode(name), name, "deleted role " + name);
    }
  }
}
