package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.evidence.tpm.protocol.HostIds;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A verb that calls the server's admin API. It checks its own input first, so bad input exits 2
 * before anything reaches the server; a refused or failed call prints {@code error: <code>:
 * <detail>} (the problem's type code and detail) and exits as {@link AdminClient} says.
 */
abstract class AdminVerb implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin AdminOptions server;

  @Option(names = "--json", description = "print one JSON document")
  boolean json;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "show this help message and exit")
  boolean help;

  /** Runs the verb's calls and prints the result; returns the exit code. */
  abstract int execute(AdminClient client, PrintWriter out)
      throws CliIo.BadInput, AdminClient.CallFailed, IOException;

  /** Checks arguments before any call; bad input throws. */
  void validate() throws CliIo.BadInput {}

  /** The client the verb calls through; a verb with another kind of credential overrides it. */
  AdminClient client(PrintWriter err) throws CliIo.BadInput {
    return server.client(needsToken(), err);
  }

  /** Whether the route needs the admin token; only the public report CA does not. */
  boolean needsToken() {
    return true;
  }

  @Override
  public final Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      validate();
      int exit = execute(client(err), out);
      out.flush();
      return exit;
    } catch (CliIo.BadInput e) {
      err.println("error: " + e.getMessage());
      return ExitCodes.BAD_INPUT;
    } catch (AdminClient.CallFailed e) {
      if (json) {
        CliIo.printJson(out, e.toJson());
      }
      err.println(e.line());
      return e.exitCode();
    } catch (IOException e) {
      err.println("error: " + e.getMessage());
      return ExitCodes.INTERNAL;
    }
  }

  /** Prints {@code answer} under {@code --json}, else runs {@code text}; returns exit 0. */
  int answer(PrintWriter out, Object answer, Runnable text) {
    if (json) {
      CliIo.printJson(out, answer);
    } else {
      text.run();
    }
    return ExitCodes.OK;
  }

  /** Deletes what {@code path} names, then prints {@code done} or {@code {id, deleted: true}}. */
  int delete(AdminClient client, PrintWriter out, String path, String id, String done)
      throws AdminClient.CallFailed {
    client.delete(path);
    return answer(out, Map.of("id", id, "deleted", true), () -> out.println(done));
  }

  /**
   * Prints a listing: the server's answer under {@code --json}, else a table of {@code
   * answer[member]} with one row per element, or {@code none} when there is no element.
   */
  int listing(
      PrintWriter out,
      JsonNode answer,
      String member,
      String none,
      String format,
      List<String> header,
      Function<JsonNode, List<String>> row) {
    if (json) {
      CliIo.printJson(out, answer);
      return ExitCodes.OK;
    }
    JsonNode rows = answer.path(member);
    if (rows.isEmpty()) {
      out.println(none);
      return ExitCodes.OK;
    }
    out.printf(format + "%n", header.toArray());
    for (JsonNode r : rows) {
      out.printf(format + "%n", row.apply(r).toArray());
    }
    return ExitCodes.OK;
  }

  /** Writes an output file; trouble is an I/O error (exit 3) naming the file. */
  static void write(Path file, byte[] bytes) throws IOException {
    try {
      Files.write(file, bytes);
    } catch (IOException e) {
      throw new IOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  static void requireHostId(String id) throws CliIo.BadInput {
    if (!HostIds.isValid(id)) {
      throw new CliIo.BadInput("host id '" + id + "' is not 1-128 characters of A-Z a-z 0-9 _ -");
    }
  }

  static void requireUuid(String id, String what) throws CliIo.BadInput {
    try {
      UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      throw new CliIo.BadInput(what + " id '" + id + "' is not a UUID");
    }
  }

  /** {@code text} or {@code -} for absent values in tables. */
  static String or(JsonNode n) {
    return n == null || n.isNull() || n.isMissingNode() ? "-" : n.asText();
  }
}
