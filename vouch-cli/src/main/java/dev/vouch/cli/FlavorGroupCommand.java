package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code vouch flavor group ...}: flavor groups, the flavors they hold and their per-part match
 * policies ({@code {PART: {match_type, required}}}); hosts assigned to a group ({@code vouch host
 * assign}) are judged by its flavors under its policies.
 */
@Command(
    name = "group",
    description = "Manage flavor groups (match policies per flavor part).",
    subcommands = {
      FlavorGroupCommand.ListGroups.class,
      FlavorGroupCommand.Show.class,
      FlavorGroupCommand.Put.class,
      FlavorGroupCommand.Delete.class,
      FlavorGroupCommand.AddFlavor.class,
      FlavorGroupCommand.RemoveFlavor.class
    })
final class FlavorGroupCommand extends CommandGroup {
  private static final String GROUPS = "/api/v1/flavor-groups";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A verb about one group, named on the command line; the server checks the name. */
  abstract static class OneGroup extends AdminVerb {
    @Parameters(index = "0", paramLabel = "NAME", description = "group name")
    String name;

    String path() {
      return GROUPS + "/" + AdminClient.encode(name);
    }
  }

  @Command(name = "list", description = "List flavor groups and their match policies.")
  static final class ListGroups extends AdminVerb {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      JsonNode answer = client.get(GROUPS).json();
      if (json) {
        CliIo.printJson(out, answer);
        return ExitCodes.OK;
      }
      for (JsonNode g : answer.path("groups")) {
        print(out, g, g.path("builtin").asBoolean() ? " (built in)" : "");
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "show", description = "Show one flavor group.")
  static final class Show extends OneGroup {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      JsonNode g = client.get(path()).json();
      return answer(out, g, () -> print(out, g, ""));
    }
  }

  @Command(
      name = "put",
      description =
          "Create or replace a flavor group from a JSON file: {PART: {match_type, required}}.")
  static final class Put extends OneGroup {
    @Parameters(index = "1", paramLabel = "FILE", description = "match policies JSON")
    Path file;

    private JsonNode policies;

    @Override
    void validate() throws CliIo.BadInput {
      byte[] bytes = CliIo.read(file, "flavor group");
      try {
        policies = JSON.readTree(bytes);
      } catch (IOException e) {
        throw new CliIo.BadInput(file + " is not JSON: " + e.getMessage());
      }
      if (policies == null || !policies.isObject()) {
        throw new CliIo.BadInput(file + " must hold a JSON object {PART: {match_type, required}}");
      }
    }

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      JsonNode g = client.put(path(), AdminClient.json(policies)).json();
      return answer(
          out,
          g,
          () -> {
            out.print("stored ");
            print(out, g, "");
          });
    }
  }

  @Command(name = "delete", description = "Delete a stored flavor group.")
  static final class Delete extends OneGroup {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      return delete(client, out, path(), name, "deleted flavor group " + name);
    }
  }

  /** A verb about one flavor's membership of one group. */
  abstract static class Member extends OneGroup {
    @Parameters(index = "1", paramLabel = "FLAVOR", description = "flavor id (UUID)")
    String flavor;

    @Override
    void validate() throws CliIo.BadInput {
      try {
        java.util.UUID.fromString(flavor);
      } catch (IllegalArgumentException e) {
        throw new CliIo.BadInput("'" + flavor + "' is not a flavor id (UUID)");
      }
    }

    String memberPath() {
      return path() + "/flavors/" + flavor;
    }
  }

  @Command(name = "add-flavor", description = "Make a flavor a member of a flavor group.")
  static final class AddFlavor extends Member {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      JsonNode m = client.put(memberPath(), new byte[0]).json();
      return answer(
          out, m, () -> out.printf("flavor %s is in flavor groups %s%n", flavor, m.path("groups")));
    }
  }

  @Command(name = "remove-flavor", description = "Take a flavor out of a flavor group.")
  static final class RemoveFlavor extends Member {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      return delete(
          client, out, memberPath(), flavor, "removed flavor " + flavor + " from group " + name);
    }
  }

  private static void print(PrintWriter out, JsonNode g, String note) {
    out.printf("group %s%s%n", g.path("name").asText(), note);
    out.printf("  flavors %d, hosts %s%n", g.path("flavors").size(), g.path("hosts").toString());
    for (var p : g.path("policies").properties()) {
      out.printf(
          "  %-14s %-8s %s%n",
          p.getKey(),
          p.getValue().path("match_type").asText(),
          p.getValue().path("required").asText());
    }
  }
}
