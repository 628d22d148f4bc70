package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

/** Runs the CLI in-process and captures what it prints. */
record CliRun(int exit, String out, String err) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Test resources of vouch-evidence, shared rather than copied twice. */
  static final Path VECTORS = Path.of("../vouch-evidence/src/test/resources/vectors");

  static CliRun of(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new CliRun(exit, out.toString(), err.toString());
  }

  /** Runs an admin verb against {@code server} with the admin token in {@code tokenFile}. */
  static CliRun admin(java.net.URI server, Path tokenFile, String... args) {
    String[] all = java.util.Arrays.copyOf(args, args.length + 4);
    all[args.length] = "--server";
    all[args.length + 1] = server.toString();
    all[args.length + 2] = "--token-file";
    all[args.length + 3] = tokenFile.toString();
    return of(all);
  }

  static String vector(String path) {
    return VECTORS.resolve(path).toString();
  }

  JsonNode json() {
    try {
      return JSON.readTree(out);
    } catch (Exception e) {
      throw new AssertionError("not one JSON document: " + out, e);
    }
  }
}
