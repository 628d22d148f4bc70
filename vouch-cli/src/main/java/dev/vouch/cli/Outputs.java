package dev.vouch.cli;

import dev.vouch.core.VerificationException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The failure output shared by every command that judges evidence. */
final class Outputs {
  private Outputs() {}

  /** Prints a failure (JSON or text) and returns {@link ExitCodes#FAILED}. */
  static int failure(PrintWriter out, PrintWriter err, boolean json, VerificationException e) {
    if (json) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("valid", false);
      doc.put("errors", List.of(error(e)));
      CliIo.printJson(out, doc);
    } else {
      err.println("FAILED " + e.failure().code() + ": " + e.getMessage());
    }
    return ExitCodes.FAILED;
  }

  static Map<String, Object> error(VerificationException e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("code", e.failure().code());
    m.put("message", e.getMessage());
    return m;
  }
}
