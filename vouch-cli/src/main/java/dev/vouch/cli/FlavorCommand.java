package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.vouch.core.VerificationException;
import dev.vouch.policy.flavor.FlavorJson;
import dev.vouch.policy.flavor.FlavorSigner;
import dev.vouch.policy.flavor.SignedFlavor;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vouch flavor ...}: flavors on a server (list, export, import, delete, flavor groups) over
 * its admin API, and {@code verify}, which checks flavor signatures offline.
 */
@Command(
    name = "flavor",
    description = "Work with flavors (signed host baselines).",
    subcommands = {
      FlavorCommand.ListFlavors.class,
      FlavorCommand.Export.class,
      FlavorCommand.Import.class,
      FlavorCommand.Key.class,
      FlavorCommand.Delete.class,
      FlavorGroupCommand.class,
      FlavorCommand.Verify.class
    })
final class FlavorCommand extends CommandGroup {
  private static final String FLAVORS = "/api/v1/flavors";

  /** The {@code ?host=ID} filter or binding of a flavor verb. */
  abstract static class HostScoped extends AdminVerb {
    @Option(names = "--host", paramLabel = "ID", description = "only the flavors of this host")
    String host;

    @Override
    void validate() throws CliIo.BadInput {
      if (host != null) {
        requireHostId(host);
      }
    }

    /** The query string of the filter, {@code ?host=ID} or empty, with {@code extra} appended. */
    String query(String extra) {
      List<String> q = new ArrayList<>();
      if (host != null) {
        q.add("host=" + AdminClient.encode(host));
      }
      if (!extra.isEmpty()) {
        q.add(extra);
      }
      return q.isEmpty() ? "" : "?" + String.join("&", q);
    }
  }

  @Command(name = "list", description = "List the server's flavors.")
  static final class ListFlavors extends HostScoped {
    @Option(names = "--retired", description = "also list retired flavors")
    boolean retired;

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      return listing(
          out,
          client.get(FLAVORS + query(retired ? "retired=true" : "")).json(),
          "flavors",
          "no flavors",
          "%-36s %-14s %-7s %-9s %-20s %-24s %s",
          List.of("ID", "PART", "ORIGIN", "APPROVED", "HOST", "RETIRED", "LABEL"),
          f ->
              List.of(
                  f.path("id").asText(),
                  f.path("flavor_part").asText(),
                  f.path("origin").asText(),
                  f.path("approved").asBoolean() ? "yes" : "no",
                  AdminVerb.or(f.path("host_id")),
                  AdminVerb.or(f.path("retired")),
                  f.path("label").asText()));
    }
  }

  /** Writes the listed flavors as a JSON array of {@code {flavor, signature}}, as signed. */
  @Command(
      name = "export",
      description =
          "Export the server's flavors, signed, as a JSON array of {flavor, signature}"
              + " (what flavor import and flavor verify read).")
  static final class Export extends HostScoped {
    @Option(
        names = {"-o", "--output"},
        paramLabel = "FILE",
        description = "write here instead of standard output")
    Path output;

    @Override
    int execute(AdminClient client, PrintWriter out)
        throws AdminClient.CallFailed, java.io.IOException {
      ArrayNode signed = JsonNodeFactory.instance.arrayNode();
      for (JsonNode f : client.get(FLAVORS + query("")).json().path("flavors")) {
        String id = f.path("id").asText();
        signed.add(client.get(FLAVORS + "/" + AdminClient.encode(id)).json().path("signed"));
      }
      if (output == null) {
        CliIo.printJson(out, signed);
        return ExitCodes.OK;
      }
      AdminVerb.write(output, CliIo.json(signed));
      if (json) {
        CliIo.printJson(out, Map.of("file", output.toString(), "count", signed.size()));
      } else {
        out.printf("exported %d flavor(s) to %s%n", signed.size(), output);
      }
      return ExitCodes.OK;
    }
  }

  /**
   * Imports flavors; the server checks each signature against its flavor-signing keys and stores
   * them re-signed with its own key. A flavor whose signature does not verify (or has none) is
   * refused (exit 1) unless {@code --unsigned} is given: then it is stored unapproved.
   */
  @Command(
      name = "import",
      description =
          "Import signed flavors ({flavor, signature} or an array): each signature must verify"
              + " against the server's flavor key or a configured one (exit 1 otherwise). --host"
              + " binds them to one host.")
  static final class Import extends HostScoped {
    @Parameters(index = "0", paramLabel = "FILE", description = "flavors JSON")
    Path file;

    @Option(
        names = "--unsigned",
        description =
            "also accept flavors without a verifying signature; they are stored NOT approved"
                + " (origin IMPORT_UNSIGNED: they do not count in strict mode)")
    boolean unsigned;

    @Option(
        names = "--flavor-group",
        paramLabel = "G",
        description =
            "flavor group the flavors join (repeatable; default: automatic; HOST_UNIQUE and"
                + " ASSET_TAG always join host_unique)")
    List<String> flavorGroups = new ArrayList<>();

    private byte[] body;

    @Override
    void validate() throws CliIo.BadInput {
      super.validate();
      body = CliIo.read(file, "flavors");
      try {
        if (FlavorJson.readSigned(body).isEmpty()) {
          throw new CliIo.BadInput(file + " holds no flavor");
        }
      } catch (VerificationException e) {
        throw new CliIo.BadInput(file + ": " + e.failure().code() + ": " + e.getMessage());
      }
    }

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      List<String> extra = new ArrayList<>();
      if (unsigned) {
        extra.add("unsigned=true");
      }
      flavorGroups.forEach(g -> extra.add("group=" + AdminClient.encode(g)));
      JsonNode made = client.post(FLAVORS + query(String.join("&", extra)), body).json();
      return answer(
          out,
          made,
          () -> {
            printSummaries(out, made.path("flavors"), "imported");
            for (JsonNode f : made.path("flavors")) {
              if (!f.path("approved").asBoolean(true)) {
                out.printf(
                    "  WARNING: %s has no verifying signature: stored NOT approved%n",
                    f.path("id").asText());
              }
            }
          });
    }
  }

  /** Fetches the server's flavor-signing certificate; needs no admin token. */
  @Command(
      name = "key",
      description =
          "Fetch the server's flavor-signing certificate (PEM, then its CA), for flavor verify"
              + " --key.")
  static final class Key extends CertificateDownload {
    @Override
    String route() {
      return FLAVORS + "/key";
    }

    @Override
    String what() {
      return "flavor-signing certificate";
    }
  }

  @Command(name = "delete", description = "Delete a flavor.")
  static final class Delete extends AdminVerb {
    @Parameters(index = "0", paramLabel = "ID", description = "flavor id (UUID)")
    String id;

    @Override
    void validate() throws CliIo.BadInput {
      requireUuid(id, "flavor");
    }

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      return delete(client, out, FLAVORS + "/" + id, id, "deleted flavor " + id);
    }
  }

  /** Prints flavor summaries ({id, flavor_part, label}) the server answered with. */
  static void printSummaries(PrintWriter out, JsonNode flavors, String what) {
    out.printf("%s %d flavor(s):%n", what, flavors.size());
    for (JsonNode f : flavors) {
      out.printf(
          "  %-14s %s %s%n",
          f.path("flavor_part").asText(), f.path("id").asText(), f.path("label").asText());
    }
  }

  /** Exit 0 when every flavor's signature verifies, 1 when one does not, 2 for bad input. */
  @Command(
      name = "verify",
      description = "Verify the signatures of signed flavors with the flavor-signing key.")
  static final class Verify implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "FILE",
        description = "signed flavors JSON ({flavor, signature} or an array)")
    Path file;

    @Option(
        names = "--key",
        required = true,
        paramLabel = "PEM",
        description = "flavor-signing public key or certificate (PEM)")
    Path key;

    @Option(names = "--json", description = "print one JSON document")
    boolean json;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      List<SignedFlavor> flavors;
      PublicKey pub;
      try {
        flavors = FlavorJson.readSigned(CliIo.read(file, "flavors"));
        pub = publicKey(CliIo.read(key, "key"), key);
      } catch (CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      } catch (VerificationException e) {
        err.println("error: " + e.failure().code() + ": " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
      boolean all = true;
      List<Map<String, Object>> results = new ArrayList<>();
      for (SignedFlavor f : flavors) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", f.flavor().meta().id().toString());
        r.put("flavor_part", f.flavor().part().name());
        try {
          FlavorSigner.verify(f, List.of(pub));
          r.put("valid", true);
        } catch (VerificationException e) {
          all = false;
          r.put("valid", false);
          r.put("error", Outputs.error(e));
        }
        results.add(r);
      }
      if (json) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("valid", all);
        doc.put("flavors", results);
        CliIo.printJson(out, doc);
      } else {
        for (Map<String, Object> r : results) {
          out.printf(
              "%s %s %s%s%n",
              Boolean.TRUE.equals(r.get("valid")) ? "VALID " : "FAILED",
              r.get("flavor_part"),
              r.get("id"),
              r.containsKey("error") ? ": " + ((Map<?, ?>) r.get("error")).get("message") : "");
        }
        out.flush();
      }
      return all ? ExitCodes.OK : ExitCodes.FAILED;
    }
  }

  static PublicKey publicKey(byte[] pem, Path from) throws CliIo.BadInput {
    String text = new String(pem, StandardCharsets.US_ASCII);
    if (text.contains("BEGIN CERTIFICATE")) {
      return ReportCommand.certificates(pem, from).get(0).getPublicKey();
    }
    String b64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    try {
      return KeyFactory.getInstance("EC")
          .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64)));
    } catch (IllegalArgumentException | java.security.GeneralSecurityException e) {
      throw new CliIo.BadInput(from + " is not a PEM EC public key or certificate");
    }
  }
}
