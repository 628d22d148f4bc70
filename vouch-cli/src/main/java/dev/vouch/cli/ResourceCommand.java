package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.agent.image.PrivateKeyFile;
import dev.vouch.agent.kbs.ResourceUri;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vouch resource ...}: the KBS's resources and its resource policy, over the KBS admin API
 * ({@code /kbs/v0/resource}, {@code /kbs/v0/resource-policy}) that Trustee's kbs-client also uses.
 * The KBS admin routes take a JWT signed by a configured admin key: {@code --admin-key PEM} signs a
 * five-minute one here; otherwise {@code --token-file} (or $VOUCH_ADMIN_TOKEN) holds one made
 * elsewhere. Listings show names only, never values.
 */
@Command(
    name = "resource",
    description = "KBS resources and the resource policy (names only in listings, never values).",
    subcommands = {
      ResourceCommand.Put.class,
      ResourceCommand.ListResources.class,
      ResourceCommand.Delete.class,
      ResourceCommand.Policy.class
    })
final class ResourceCommand extends CommandGroup {
  private static final String RESOURCES = "/kbs/v0/resource";
  private static final String POLICY = "/kbs/v0/resource-policy";

  /** A verb on the KBS admin API: authenticates with a JWT signed by the admin key. */
  abstract static class KbsAdminVerb extends AdminVerb {
    @Option(
        names = "--admin-key",
        paramLabel = "PEM",
        description =
            "KBS admin private key (Ed25519 or EC P-256/P-384, PKCS#8 PEM): signs a five-minute"
                + " admin JWT (default: the token from --token-file or $"
                + AdminOptions.TOKEN_ENV
                + ")")
    Path adminKey;

    @Override
    AdminClient client(PrintWriter err) throws CliIo.BadInput {
      if (adminKey == null) {
        return super.client(err);
      }
      try {
        return server.client(
            Optional.of(
                KbsAdminToken.mint(
                    PrivateKeyFile.parse(CliIo.read(adminKey, "--admin-key")), Clock.systemUTC())),
            err);
      } catch (IllegalArgumentException e) {
        throw new CliIo.BadInput("--admin-key: " + e.getMessage());
      }
    }
  }

  static String resourcePath(String path) throws CliIo.BadInput {
    try {
      return ResourceUri.ofPath(path).path();
    } catch (IllegalArgumentException e) {
      throw new CliIo.BadInput(e.getMessage());
    }
  }

  @Command(name = "put", description = "Store FILE's bytes as the resource REPO/TYPE/TAG.")
  static final class Put extends KbsAdminVerb {
    @Parameters(index = "0", paramLabel = "REPO/TYPE/TAG")
    String path;

    @Parameters(index = "1", paramLabel = "FILE", description = "The value (any bytes).")
    Path file;

    @Override
    int execute(AdminClient client, PrintWriter out) throws CliIo.BadInput, AdminClient.CallFailed {
      String p = resourcePath(path);
      byte[] value = CliIo.read(file, "resource file");
      client.postBytes(RESOURCES + "/" + p, value);
      return answer(
          out,
          Map.of("resource", p, "bytes", value.length),
          () -> out.println("stored " + p + " (" + value.length + " bytes)"));
    }
  }

  @Command(name = "list", description = "List resource names (never values).")
  static final class ListResources extends KbsAdminVerb {
    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      JsonNode answer = client.get(RESOURCES).json();
      List<String> names = new ArrayList<>();
      if (!answer.isArray()) {
        throw new AdminClient.CallFailed(
            ExitCodes.INTERNAL, 200, "bad-answer", "the resource list is not a JSON array");
      }
      // only the names are taken from the answer, whatever else a KBS might send
      answer.forEach(n -> names.add(n.asText()));
      return answer(
          out,
          Map.of("resources", names),
          () -> {
            if (names.isEmpty()) {
              out.println("no resources");
            }
            names.forEach(out::println);
          });
    }
  }

  @Command(name = "delete", description = "Delete the resource REPO/TYPE/TAG.")
  static final class Delete extends KbsAdminVerb {
    @Parameters(index = "0", paramLabel = "REPO/TYPE/TAG")
    String path;

    @Override
    int execute(AdminClient client, PrintWriter out) throws CliIo.BadInput, AdminClient.CallFailed {
      String p = resourcePath(path);
      client.delete(RESOURCES + "/" + p);
      return answer(out, Map.of("deleted", p), () -> out.println("deleted " + p));
    }
  }

  /** {@code vouch resource policy get|set}. */
  @Command(
      name = "policy",
      description = "The KBS resource policy.",
      subcommands = {Policy.Get.class, Policy.Set.class})
  static final class Policy extends CommandGroup {

    @Command(name = "get", description = "Print the resource policy in force.")
    static final class Get extends KbsAdminVerb {
      @Override
      int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
        JsonNode answer = client.get(POLICY + "/resource-policy").json();
        String text;
        try {
          text =
              new String(
                  Base64.getUrlDecoder().decode(answer.path("policy").asText("")),
                  StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          throw new AdminClient.CallFailed(
              ExitCodes.INTERNAL, 200, "bad-answer", "the policy is not base64url");
        }
        return answer(out, Map.of("policy", text), () -> out.print(text));
      }
    }

    @Command(name = "set", description = "Replace the resource policy with FILE's.")
    static final class Set extends KbsAdminVerb {
      @Parameters(index = "0", paramLabel = "FILE", description = "The policy document.")
      Path file;

      @Override
      int execute(AdminClient client, PrintWriter out)
          throws CliIo.BadInput, AdminClient.CallFailed {
        byte[] policy = CliIo.read(file, "policy file");
        client.post(
            POLICY,
            AdminClient.json(
                Map.of("policy", Base64.getUrlEncoder().withoutPadding().encodeToString(policy))));
        return answer(
            out,
            Map.of("policy", "replaced"),
            () -> out.println("resource policy replaced (" + policy.length + " bytes)"));
      }
    }
  }
}
