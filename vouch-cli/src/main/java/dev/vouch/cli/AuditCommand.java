package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.policy.audit.AuditExport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vouch audit ...}: the server's hash-chained audit log. {@code export} saves it with its
 * signed checkpoints; {@code verify} checks an export offline and names the first line that does
 * not check out.
 */
@Command(
    name = "audit",
    description = "The hash-chained audit log: list, export, verify an export offline.",
    subcommands = {
      AuditCommand.ListRecords.class,
      AuditCommand.Export.class,
      AuditCommand.Verify.class
    })
final class AuditCommand extends CommandGroup {

  @Command(name = "list", description = "List audit records, oldest first.")
  static final class ListRecords extends AdminVerb {
    @Option(names = "--actor", paramLabel = "NAME", description = "only records by this actor")
    String actor;

    @Option(names = "--action", paramLabel = "ACTION", description = "only this action")
    String action;

    @Option(names = "--after", paramLabel = "SEQ", description = "records after this number")
    long after;

    @Option(names = "--limit", paramLabel = "N", description = "at most N records (1-1000)")
    int limit = 100;

    @Override
    void validate() throws CliIo.BadInput {
      if (limit < 1 || limit > 1000) {
        throw new CliIo.BadInput("--limit must be between 1 and 1000");
      }
      if (after < 0) {
        throw new CliIo.BadInput("--after must not be negative");
      }
    }

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      StringBuilder q = new StringBuilder("/api/v1/audit?limit=" + limit + "&after=" + after);
      if (actor != null) {
        q.append("&actor=").append(AdminClient.encode(actor));
      }
      if (action != null) {
        q.append("&action=").append(AdminClient.encode(action));
      }
      JsonNode answer = client.get(q.toString()).json();
      return listing(
          out,
          answer,
          "records",
          "no audit records",
          "%-6s  %-24s  %-12s  %-20s  %-8s  %s",
          List.of("SEQ", "TIME", "ACTOR", "ACTION", "OUTCOME", "TARGET"),
          r ->
              List.of(
                  or(r.get("seq")),
                  or(r.get("at")),
                  or(r.get("actor")),
                  or(r.get("action")),
                  or(r.get("outcome")),
                  or(r.get("target"))));
    }
  }

  @Command(
      name = "export",
      description = "Export the whole audit log as JSON lines, ending with its signed checkpoints.")
  static final class Export extends AdminVerb {
    @Option(
        names = {"-o", "--output"},
        paramLabel = "FILE",
        description = "write the export here instead of standard output")
    Path output;

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed, IOException {
      byte[] body = client.get("/api/v1/audit/export").body();
      if (output == null) {
        out.print(new String(body, StandardCharsets.UTF_8));
        return ExitCodes.OK;
      }
      AdminVerb.write(output, body);
      long lines = new String(body, StandardCharsets.UTF_8).lines().count();
      return answer(
          out,
          Map.of("file", output.toString(), "lines", lines),
          () -> out.printf("%d lines written to %s%n", lines, output));
    }
  }

  @Command(
      name = "verify",
      description =
          "Check an audit export offline: every record's hash, the chain from the first record,"
              + " and the signed checkpoints; exit 1 naming the first bad line.")
  static final class Verify implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "an export of vouch audit export")
    Path file;

    @Option(
        names = "--ca",
        paramLabel = "ROOT.pem",
        description =
            "the server's reporting CA (vouch report ca): the checkpoints' signer must chain to"
                + " it. Without it the signature is checked against the chain the checkpoint"
                + " carries, and the output says the signer was not pinned")
    Path ca;

    @Option(
        names = "--at",
        paramLabel = "TIME",
        description = "check certificates at this ISO-8601 instant instead of now")
    String at;

    @Option(names = "--json", description = "print one JSON document")
    boolean json;

    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help message and exit")
    boolean help;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      List<String> lines;
      List<X509Certificate> roots = List.of();
      Instant when;
      try {
        lines =
            new String(CliIo.read(file, "audit export"), StandardCharsets.UTF_8).lines().toList();
        if (ca != null) {
          roots = ReportCommand.certificates(CliIo.read(ca, "CA certificate"), ca);
        }
        when = at == null ? Instant.now() : Instant.parse(at);
      } catch (CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      } catch (DateTimeParseException e) {
        err.println("error: --at must be an ISO-8601 instant such as 2026-01-01T00:00:00Z");
        return ExitCodes.BAD_INPUT;
      }
      Map<String, Object> doc = new LinkedHashMap<>();
      try {
        AuditExport.Intact ok = AuditExport.verify(lines, roots, when);
        doc.put("valid", true);
        doc.put("records", ok.records());
        doc.put("head", ok.head());
        doc.put("checkpoints", ok.checkpoints());
        doc.put("signer_pinned", ok.anchored());
        if (json) {
          CliIo.printJson(out, doc);
        } else {
          out.printf(
              "INTACT: %d records, chain and %d signed checkpoint(s) check out; head %s%n",
              ok.records(), ok.checkpoints(), ok.head());
          if (!ok.anchored()) {
            out.println("note: the checkpoints' signer was not pinned (give --ca to pin it)");
          }
        }
        return ExitCodes.OK;
      } catch (AuditExport.Broken e) {
        doc.put("valid", false);
        doc.put("line", e.line());
        doc.put("code", e.failure().code());
        doc.put("detail", e.getMessage());
        if (json) {
          CliIo.printJson(out, doc);
        } else {
          out.println("BROKEN: " + e.getMessage());
        }
        return ExitCodes.FAILED;
      }
    }
  }
}
