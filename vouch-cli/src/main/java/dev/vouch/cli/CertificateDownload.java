package dev.vouch.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * A verb that fetches a public certificate (PEM) the server publishes without a token ({@code
 * report ca}, {@code flavor key}): prints it, writes it with {@code -o}, or with {@code --json}
 * prints its subject, expiry and PEM.
 */
abstract class CertificateDownload extends AdminVerb {
  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      description = "write the PEM here instead of standard output")
  Path output;

  /** The route that serves the certificate. */
  abstract String route();

  /** What the certificate is, for the line printed after writing it to a file. */
  abstract String what();

  @Override
  boolean needsToken() {
    return false;
  }

  @Override
  int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed, IOException {
    byte[] pem = client.get(route()).body();
    X509Certificate cert;
    try {
      cert = ReportCommand.certificates(pem, Path.of("the server's answer")).get(0);
    } catch (CliIo.BadInput e) {
      throw new AdminClient.CallFailed(ExitCodes.INTERNAL, 200, "bad-answer", e.getMessage());
    }
    if (output != null) {
      AdminVerb.write(output, pem);
    }
    if (json) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("subject", cert.getSubjectX500Principal().getName());
      doc.put("not_after", cert.getNotAfter().toInstant().toString());
      doc.put("pem", new String(pem, StandardCharsets.US_ASCII));
      CliIo.printJson(out, doc);
    } else if (output == null) {
      out.print(new String(pem, StandardCharsets.US_ASCII));
    } else {
      out.printf("%s %s written to %s%n", what(), cert.getSubjectX500Principal().getName(), output);
    }
    return ExitCodes.OK;
  }
}
