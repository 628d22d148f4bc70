package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.server.hosts.RoutedAgentChannel;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vouch host ...}: the hosts a server monitors, over its admin API. Exit 0 done, 1 the
 * host's evidence failed verification (making flavors), 2 bad input or refused (unknown host, wrong
 * token), 3 server unreachable or failing.
 */
@Command(
    name = "host",
    description = "Manage the hosts a Vouch server monitors (admin API).",
    subcommands = {
      HostCommand.ListHosts.class,
      HostCommand.Show.class,
      HostCommand.Add.class,
      HostCommand.Remove.class,
      HostCommand.Attest.class,
      HostCommand.Onboard.class,
      HostCommand.Flavors.class,
      HostCommand.Assign.class,
      HostCommand.Unassign.class,
      HostCommand.RuntimePolicyVerb.class
    })
final class HostCommand extends CommandGroup {
  private static final String HOSTS = "/api/v1/hosts";

  /** A verb about one host, named by its id. */
  abstract static class OneHost extends AdminVerb {
    @Parameters(index = "0", paramLabel = "ID", description = "host id")
    String id;

    @Override
    void validate() throws CliIo.BadInput {
      requireHostId(id);
    }

    String path() {
      return HOSTS + "/" + id;
    }
  }

  @Command(name = "list", description = "List registered hosts and their status.")
  static final class ListHosts extends AdminVerb {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      return listing(
          out,
          client.get(HOSTS).json(),
          "hosts",
          "no hosts registered",
          "%-24s %-28s %-12s %-24s %s",
          List.of("ID", "STATUS", "GROUP", "LAST ATTESTED", "CONNECTION"),
          h ->
              List.of(
                  h.path("id").asText(),
                  h.path("status").asText(),
                  h.path("group").asText(),
                  or(h.path("last_attested")),
                  h.path("connection").asText()));
    }
  }

  @Command(
      name = "show",
      description = "Show a host, its status history and its golden-flavor audit.")
  static final class Show extends OneHost {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      JsonNode h = client.get(path()).json();
      if (json) {
        CliIo.printJson(out, h);
        return ExitCodes.OK;
      }
      out.printf("Host %s: %s%n", h.path("id").asText(), h.path("status").asText());
      out.printf(
          "  group %s, connection %s%n", h.path("group").asText(), h.path("connection").asText());
      out.printf(
          "  last attested %s, last report %s, next due %s%n",
          or(h.path("last_attested")), or(h.path("last_report_id")), or(h.path("next_due")));
      out.println("History (oldest first):");
      for (JsonNode c : h.path("history")) {
        List<String> reasons = new ArrayList<>();
        c.path("reasons").forEach(r -> reasons.add(r.asText()));
        out.printf(
            "  %s %s -> %s%s%s%n",
            c.path("time").asText(),
            c.path("previous").asText(),
            c.path("current").asText(),
            c.path("report_id").isNull() ? "" : " (report " + c.path("report_id").asText() + ")",
            reasons.isEmpty() ? "" : ": " + String.join("; ", reasons));
      }
      out.println("Golden-flavor audit:");
      for (JsonNode a : h.path("golden_audit")) {
        out.printf(
            "  %s %s %s reset count %s: %s%n",
            a.path("time").asText(),
            a.path("mode").asText(),
            a.path("action").asText(),
            or(a.path("reset_count")),
            a.path("reason").asText());
      }
      if (!h.path("node_actions").isEmpty()) {
        out.println("Kubernetes node actions:");
        for (JsonNode a : h.path("node_actions")) {
          out.printf(
              "  %s %s, %d attempts%s%s%n",
              a.path("kind").asText(),
              a.path("state").asText(),
              a.path("attempts").asInt(),
              !a.hasNonNull("last_error")
                  ? ""
                  : ", next try "
                      + a.path("next_attempt").asText()
                      + ", last error: "
                      + a.path("last_error").asText(),
              !a.hasNonNull("result") ? "" : ", result: " + a.path("result").asText());
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "add", description = "Register an enrolled host for monitoring.")
  static final class Add extends OneHost {
    @Option(
        names = "--connection",
        required = true,
        paramLabel = "nats|URL",
        description = "how the server reaches the agent: nats, or the agent's https:// URL")
    String connection;

    @Option(
        names = "--group",
        paramLabel = "G",
        description = "host group (its polling interval; default: default)")
    String group;

    @Option(
        names = "--flavor-group",
        paramLabel = "G",
        description = "flavor group the host is judged by (repeatable; default: automatic)")
    List<String> flavorGroups = new ArrayList<>();

    @Override
    void validate() throws CliIo.BadInput {
      super.validate();
      if (!RoutedAgentChannel.NATS.equals(connection)
          && RoutedAgentChannel.httpsUrl(connection).isEmpty()) {
        throw new CliIo.BadInput(
            "--connection must be 'nats' or the agent's https:// URL, not '" + connection + "'");
      }
    }

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("id", id);
      if (group != null) {
        body.put("group", group);
      }
      body.put("connection", connection);
      if (!flavorGroups.isEmpty()) {
        body.put("flavor_groups", flavorGroups);
      }
      JsonNode h = client.post(HOSTS, AdminClient.json(body)).json();
      return answer(
          out,
          h,
          () ->
              out.printf(
                  "registered host %s (group %s, connection %s): %s%n",
                  h.path("id").asText(),
                  h.path("group").asText(),
                  h.path("connection").asText(),
                  h.path("status").asText()));
    }
  }

  @Command(name = "remove", description = "Stop monitoring a host; its reports and flavors stay.")
  static final class Remove extends OneHost {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      return delete(client, out, path(), id, "removed host " + id);
    }
  }

  @Command(
      name = "attest",
      description =
          "Attest a host now (queued; with --wait, wait for the result: exit 0 VERIFIED, 1 any"
              + " other status, 3 no result in time).")
  static final class Attest extends OneHost {
    @picocli.CommandLine.Option(
        names = "--wait",
        description = "wait for the attestation to finish and print the host's new status")
    boolean await;

    @picocli.CommandLine.Option(
        names = "--timeout",
        paramLabel = "SECONDS",
        defaultValue = "120",
        description = "how long --wait waits (default ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Override
    void validate() throws CliIo.BadInput {
      super.validate();
      if (timeoutSeconds < 1 || timeoutSeconds > 3600) {
        throw new CliIo.BadInput("--timeout must be 1..3600 seconds");
      }
    }

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      String before = await ? client.get(path()).json().path("last_attested").asText("") : "";
      JsonNode a = client.post(path() + "/attest", new byte[0]).json();
      if (!await) {
        return answer(out, a, () -> out.printf("attestation of host %s queued%n", id));
      }
      long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
      while (System.nanoTime() < deadline) {
        JsonNode h = client.get(path()).json();
        String last = h.path("last_attested").asText("");
        // a newer attestation was recorded (its lease is released in the same transaction)
        if (!last.isEmpty() && !last.equals(before)) {
          String status = h.path("status").asText();
          List<String> reasons = new ArrayList<>();
          JsonNode history = h.path("history");
          if (!"VERIFIED".equals(status) && !history.isEmpty()) {
            history.get(history.size() - 1).path("reasons").forEach(r -> reasons.add(r.asText()));
          }
          answer(
              out,
              h,
              () ->
                  out.printf(
                      "host %s: %s%s%n",
                      id, status, reasons.isEmpty() ? "" : ": " + String.join("; ", reasons)));
          return "VERIFIED".equals(status) ? ExitCodes.OK : ExitCodes.FAILED;
        }
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      throw new AdminClient.CallFailed(
          ExitCodes.INTERNAL,
          0,
          "timeout",
          "host " + id + " was not attested within " + timeoutSeconds + " s");
    }
  }

  @Command(
      name = "onboard",
      description =
          "Onboard a host afresh: retire its golden flavors, lift its Kubernetes cordon, attest"
              + " now.")
  static final class Onboard extends OneHost {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      JsonNode a = client.post(path() + "/onboard", new byte[0]).json();
      return answer(
          out,
          a,
          () -> {
            List<String> nodes = new ArrayList<>();
            a.path("nodes_restored").forEach(n -> nodes.add(n.asText()));
            out.printf(
                "host %s onboarded afresh: %d golden flavor(s) retired, node(s) uncordoned: %s%n",
                id,
                a.path("golden_flavors_retired").asInt(),
                nodes.isEmpty() ? "none" : String.join(", ", nodes));
          });
    }
  }

  @Command(
      name = "flavors",
      description =
          "Make approved flavors from the host's freshly verified measurements (strict mode's"
              + " baseline).")
  static final class Flavors extends OneHost {
    @Option(
        names = "--parts",
        required = true,
        split = ",",
        paramLabel = "PART",
        description = "flavor parts to make, e.g. PLATFORM,HOST_UNIQUE")
    List<String> parts;

    @Option(
        names = "--flavor-group",
        paramLabel = "G",
        description =
            "flavor group the new flavors join (repeatable; default: automatic; HOST_UNIQUE and"
                + " ASSET_TAG always join host_unique)")
    List<String> flavorGroups = new ArrayList<>();

    @Override
    void validate() throws CliIo.BadInput {
      super.validate();
      for (String p : parts) {
        try {
          FlavorPart.valueOf(p);
        } catch (IllegalArgumentException e) {
          throw new CliIo.BadInput(
              "unknown flavor part '"
                  + p
                  + "'; one of "
                  + Arrays.toString(FlavorPart.values()).replaceAll("[\\[\\]]", ""));
        }
      }
    }

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("parts", parts);
      if (!flavorGroups.isEmpty()) {
        body.put("flavor_groups", flavorGroups);
      }
      JsonNode made = client.post(path() + "/flavors", AdminClient.json(body)).json();
      return answer(
          out, made, () -> FlavorCommand.printSummaries(out, made.path("flavors"), "made"));
    }
  }

  /** A verb putting a host into or out of one flavor group. */
  abstract static class HostAndGroup extends OneHost {
    @Option(
        names = {"--group", "--flavor-group"},
        required = true,
        paramLabel = "G",
        description = "flavor group")
    String group;

    String groupPath() {
      return path() + "/flavor-groups/" + AdminClient.encode(group);
    }
  }

  @Command(
      name = "assign",
      description =
          "Assign a host to a flavor group: it is judged by the group's flavors under the group's"
              + " match policies, and must satisfy every group it is in.")
  static final class Assign extends HostAndGroup {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      JsonNode a = client.put(groupPath(), new byte[0]).json();
      return answer(out, a, () -> printGroups(out, a));
    }
  }

  @Command(name = "unassign", description = "Take a host out of a flavor group.")
  static final class Unassign extends HostAndGroup {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      client.delete(groupPath());
      JsonNode a = client.get(path() + "/flavor-groups").json();
      return answer(out, a, () -> printGroups(out, a));
    }
  }

  private static void printGroups(PrintWriter out, JsonNode a) {
    List<String> names = new ArrayList<>();
    a.path("flavor_groups").forEach(g -> names.add(g.path("name").asText()));
    out.printf("host %s is judged by flavor groups %s%n", a.path("id").asText(), names);
  }

  @Command(
      name = "runtime-policy",
      description =
          "Store a Keylime runtime policy (JSON) as the next version of NAME and appraise the"
              + " host's (or, with --group, the host group's) IMA entries by it from the next"
              + " attestation; a host's own assignment wins over its group's. --remove ends the"
              + " assignment.")
  static final class RuntimePolicyVerb extends AdminVerb {
    @Parameters(index = "0", arity = "0..1", paramLabel = "ID", description = "host id")
    String id;

    @Option(
        names = "--group",
        paramLabel = "GROUP",
        description = "assign to this host group instead of one host")
    String group;

    @Option(
        names = "--policy",
        paramLabel = "FILE",
        description = "Keylime runtime policy JSON (version 1)")
    java.nio.file.Path policy;

    @Option(
        names = "--name",
        paramLabel = "NAME",
        description = "the policy's name (default: the host id or group)")
    String name;

    @Option(names = "--remove", description = "remove the host's (or group's) assignment")
    boolean remove;

    private byte[] body;

    @Override
    void validate() throws CliIo.BadInput {
      if ((id == null) == (group == null)) {
        throw new CliIo.BadInput("name a host ID or a --group, not both");
      }
      if (id != null) {
        requireHostId(id);
      } else if (!group.matches(NAME)) {
        throw new CliIo.BadInput("--group must be 1-128 of A-Z a-z 0-9 _ . -");
      }
      if (remove == (policy != null)) {
        throw new CliIo.BadInput("give --policy FILE or --remove");
      }
      if (remove) {
        if (name != null) {
          throw new CliIo.BadInput("--name goes with --policy, not --remove");
        }
        return;
      }
      if (name == null) {
        name = id != null ? id : group;
      }
      if (!name.matches(NAME)) {
        throw new CliIo.BadInput("--name must be 1-128 of A-Z a-z 0-9 _ . -");
      }
      body = CliIo.read(policy, "runtime policy");
      try {
        dev.vouch.evidence.runtime.RuntimePolicy.fromKeylimeJson(body);
      } catch (dev.vouch.evidence.runtime.RuntimePolicy.Invalid e) {
        throw new CliIo.BadInput(policy + ": not a Keylime runtime policy: " + e.getMessage());
      }
    }

    private static final String NAME = "[A-Za-z0-9][A-Za-z0-9_.-]{0,127}";

    private String target() {
      return id != null
          ? HOSTS + "/" + id + "/runtime-policy"
          : "/api/v1/host-groups/" + AdminClient.encode(group) + "/runtime-policy";
    }

    private String who() {
      return id != null ? "host " + id : "host group " + group;
    }

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      if (remove) {
        client.delete(target());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(id != null ? "host" : "group", id != null ? id : group);
        m.put("removed", true);
        return answer(out, m, () -> out.printf("%s: runtime policy assignment removed%n", who()));
      }
      if (id != null) {
        client.get(HOSTS + "/" + id); // an unknown host stops here, before a policy is stored
      }
      JsonNode stored =
          client.put("/api/v1/runtime-policies/" + AdminClient.encode(name), body).json();
      JsonNode assigned = client.put(target(), AdminClient.json(Map.of("policy", name))).json();
      return answer(
          out,
          assigned,
          () ->
              out.printf(
                  "%s: runtime policy %s version %d (sha256 %s) assigned%n",
                  who(),
                  stored.path("name").asText(),
                  assigned.path("version").asInt(),
                  assigned.path("sha256").asText()));
    }
  }
}
