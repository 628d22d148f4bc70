package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vouch apikey ...}: long-lived API keys for service accounts (and users). */
@Command(
    name = "apikey",
    description = "Create, list and revoke API keys (admin API).",
    subcommands = {
      ApikeyCommand.Create.class,
      ApikeyCommand.ListKeys.class,
      ApikeyCommand.Revoke.class
    })
final class ApikeyCommand extends CommandGroup {
  private static final String KEYS = "/api/v1/apikeys";

  @Command(
      name = "create",
      description = "Create an API key for an account; the key is printed once, keep it.")
  static final class Create extends AdminVerb {
    @Option(names = "--account", required = true, paramLabel = "NAME", description = "account")
    String account;

    @Option(names = "--label", paramLabel = "TEXT", description = "what the key is for")
    String label;

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("account", account);
      if (label != null) {
        body.put("label", label);
      }
      JsonNode k = client.post(KEYS, AdminClient.json(body)).json();
      return answer(
          out,
          k,
          () -> {
            out.println("created API key " + k.path("id").asText() + " for " + account);
            out.println("key (shown once): " + k.path("key").asText());
          });
    }
  }

  @Command(name = "list", description = "List API keys (never the keys themselves).")
  static final class ListKeys extends AdminVerb {
    @Option(names = "--account", paramLabel = "NAME", description = "only this account's")
    String account;

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      String q = account == null ? "" : "?account=" + AdminClient.encode(account);
      return listing(
          out,
          client.get(KEYS + q).json(),
          "apikeys",
          "no API keys",
          "%-26s %-16s %-28s %s",
          List.of("ID", "ACCOUNT", "REVOKED", "LABEL"),
          k ->
              List.of(
                  k.path("id").asText(),
                  k.path("account").asText(),
                  or(k.get("revoked")),
                  k.path("label").asText()));
    }
  }

  @Command(name = "revoke", description = "Revoke an API key by its id.")
  static final class Revoke extends AdminVerb {
    @Parameters(index = "0", paramLabel = "ID", description = "key id from apikey list")
    String id;

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      client.delete(KEYS + "/" + AdminClient.encode(id));
      return answer(
          out, Map.of("id", id, "revoked", true), () -> out.println("revoked API key " + id));
    }
  }
}
