package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSObject;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.policy.flavor.Fault;
import dev.vouch.policy.flavor.FlavorRuleResult;
import dev.vouch.policy.flavor.PartTrust;
import dev.vouch.policy.report.TrustReport;
import dev.vouch.policy.report.TrustReportJson;
import dev.vouch.policy.report.TrustReports;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vouch report ...}: trust reports. {@code list}, {@code get} and {@code ca} fetch them and
 * the reporting CA from a server; {@code show} and {@code verify} work on files offline, so {@code
 * report get ID -o r.jws} then {@code report verify r.jws --ca ca.pem} checks what the server said.
 */
@Command(
    name = "report",
    description = "Fetch, show and verify host trust reports.",
    subcommands = {
      ReportCommand.ListReports.class,
      ReportCommand.Get.class,
      ReportCommand.Ca.class,
      ReportCommand.Show.class,
      ReportCommand.Verify.class
    })
final class ReportCommand extends CommandGroup {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String REPORTS = "/api/v1/reports";

  @Command(name = "list", description = "List a host's trust reports, newest first.")
  static final class ListReports extends AdminVerb {
    @Option(names = "--host", required = true, paramLabel = "ID", description = "host id")
    String host;

    @Option(
        names = "--limit",
        paramLabel = "N",
        description = "at most this many (server default 20)")
    Integer limit;

    @Override
    void validate() throws CliIo.BadInput {
      requireHostId(host);
      if (limit != null && limit < 1) {
        throw new CliIo.BadInput("--limit must be at least 1");
      }
    }

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed {
      JsonNode answer =
          client.get(REPORTS + "?host=" + host + (limit == null ? "" : "&limit=" + limit)).json();
      if (answer.path("reports").isEmpty()) {
        // no reports: a host the server does not know is bad input (its 404 exits 2), while a
        // known host, or a removed one whose reports were kept, simply has none to list
        client.get("/api/v1/hosts/" + host);
      }
      return listing(
          out,
          answer,
          "reports",
          "no reports for host " + host,
          "%-36s %-28s %-7s %-24s %s",
          List.of("ID", "STATUS", "OVERALL", "CREATED", "EXPIRES"),
          r ->
              List.of(
                  r.path("id").asText(),
                  r.path("status").asText(),
                  r.path("overall").asBoolean() ? "trusted" : "no",
                  r.path("created").asText(),
                  r.path("expires").asText()));
    }
  }

  /** Fetches one signed report; what it writes is what {@code report verify} reads. */
  @Command(
      name = "get",
      description = "Fetch one signed trust report (compact JWS), for report verify.")
  static final class Get extends AdminVerb {
    @Parameters(index = "0", paramLabel = "ID", description = "report id (UUID)")
    String id;

    @Option(
        names = {"-o", "--output"},
        paramLabel = "FILE",
        description = "write the JWS here instead of standard output")
    Path output;

    @Override
    void validate() throws CliIo.BadInput {
      requireUuid(id, "report");
    }

    @Override
    int execute(AdminClient client, PrintWriter out) throws AdminClient.CallFailed, IOException {
      JsonNode r = client.get(REPORTS + "/" + id).json();
      String jws = r.path("jws").asText();
      if (output != null) {
        AdminVerb.write(output, jws.getBytes(StandardCharsets.US_ASCII));
      }
      if (json) {
        CliIo.printJson(out, r);
      } else if (output == null) {
        out.println(jws);
      } else {
        out.printf(
            "report %s for host %s (%s) written to %s%n",
            id, r.path("host_id").asText(), r.path("status").asText(), output);
      }
      return ExitCodes.OK;
    }
  }

  /** Fetches the CA certificate reports and flavors chain to; needs no admin token. */
  @Command(
      name = "ca",
      description = "Fetch the server's reporting CA certificate (PEM), for report verify --ca.")
  static final class Ca extends CertificateDownload {
    @Override
    String route() {
      return REPORTS + "/ca";
    }

    @Override
    String what() {
      return "CA";
    }
  }

  /** Decodes and prints a report without checking it. Exit 0, or 2 for bad input. */
  @Command(
      name = "show",
      description = "Decode and print a trust report (JWS or JSON), unverified.")
  static final class Show implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "FILE",
        description = "signed report (JWS) or report JSON")
    Path file;

    @Option(names = "--json", description = "print one JSON document")
    boolean json;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        String text = new String(CliIo.read(file, "report"), StandardCharsets.UTF_8).strip();
        boolean signed = !text.startsWith("{");
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        Map<String, Object> header = new LinkedHashMap<>();
        if (signed) {
          JWSObject jws = JWSObject.parse(text);
          body = jws.getPayload().toBytes();
          header.put("alg", jws.getHeader().getAlgorithm().getName());
          var x5c = jws.getHeader().getX509CertChain();
          header.put("x5c_certificates", x5c == null ? 0 : x5c.size());
          if (x5c != null && !x5c.isEmpty()) {
            header.put("signer", subject(x5c.get(0).decode()));
          }
        }
        TrustReport report = TrustReportJson.read(body);
        if (json) {
          Map<String, Object> doc = new LinkedHashMap<>();
          doc.put("signed", signed);
          doc.put("verified", false);
          if (signed) {
            doc.put("header", header);
          }
          doc.put("report", JSON.readTree(TrustReportJson.toBytes(report)));
          CliIo.printJson(out, doc);
        } else {
          if (signed) {
            out.printf(
                "Signed report (%s, signer %s), NOT verified%n",
                header.get("alg"), header.getOrDefault("signer", "unknown"));
          } else {
            out.println("Unsigned report JSON");
          }
          print(out, report);
        }
        return ExitCodes.OK;
      } catch (CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      } catch (ParseException e) {
        err.println("error: not a JWS: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      } catch (VerificationException e) {
        err.println("error: " + e.failure().code() + ": " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      } catch (IOException e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
    }
  }

  /**
   * Verifies a signed report against the reporting CA: exit 0 only for a valid report that says the
   * host is trusted (VERIFIED, OVERALL true); 1 for a tampered, expired or untrusted-chain report,
   * and for a valid report of a host that is not trusted ({@code "trusted": false} in JSON); 2 bad
   * input (unreadable file or CA, not a JWS, bad time).
   */
  @Command(
      name = "verify",
      description =
          "Verify a signed trust report: certificate chain, signature and validity window;"
              + " exit 1 also when the valid report says the host is not trusted.")
  static final class Verify implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "signed report (compact JWS)")
    Path file;

    @Option(
        names = "--ca",
        required = true,
        paramLabel = "ROOT.pem",
        description = "reporting CA certificate(s), PEM or DER")
    Path ca;

    @Option(
        names = "--at",
        paramLabel = "TIME",
        description = "check at this ISO-8601 instant instead of now")
    String at;

    @Option(names = "--json", description = "print one JSON document")
    boolean json;

    @Option(
        names = "--crl",
        paramLabel = "CRL",
        description =
            "the reporting CA's CRL (PEM or DER; repeatable): the reporting key's path must then"
                + " be shown unrevoked. Without it revocation is not checked, and the output says"
                + " so (a Vouch server's reporting CA publishes no CRL)")
    List<Path> crlFiles = new ArrayList<>();

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      String jws;
      List<X509Certificate> roots;
      List<X509CRL> crls = new ArrayList<>();
      Instant when;
      try {
        jws = new String(CliIo.read(file, "report"), StandardCharsets.UTF_8).strip();
        roots = certificates(CliIo.read(ca, "CA certificate"), ca);
        for (Path f : crlFiles) {
          crls.add(crl(CliIo.read(f, "CRL"), f));
        }
        when = at == null ? Instant.now() : Instant.parse(at);
      } catch (CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      } catch (DateTimeParseException e) {
        err.println("error: --at must be an ISO-8601 instant such as 2026-01-01T00:00:00Z");
        return ExitCodes.BAD_INPUT;
      }
      TrustReport report;
      boolean revocationChecked;
      try {
        TrustReports.Verified v =
            crlFiles.isEmpty()
                ? TrustReports.verifyWithoutRevocation(jws, roots, when)
                : TrustReports.verify(jws, roots, crls, when);
        report = v.report();
        revocationChecked = v.revocationChecked();
      } catch (VerificationException e) {
        if (e.failure() == Failure.MALFORMED || e.failure() == Failure.UNSUPPORTED) {
          if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("valid", false);
            doc.put("errors", List.of(Outputs.error(e)));
            CliIo.printJson(out, doc);
          } else {
            err.println("error: " + e.failure().code() + ": " + e.getMessage());
          }
          return ExitCodes.BAD_INPUT;
        }
        return Outputs.failure(out, err, json, e);
      }
      // a genuine report can say the host is not trusted: that is a verification failure too
      boolean trusted = report.trusted();
      if (json) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("valid", true);
        doc.put("trusted", trusted);
        doc.put("revocation_checked", revocationChecked);
        try {
          doc.put("report", JSON.readTree(TrustReportJson.toBytes(report)));
        } catch (IOException e) {
          throw new IllegalStateException("a report always re-reads", e);
        }
        doc.put("errors", List.of());
        CliIo.printJson(out, doc);
      } else {
        out.println("VALID: signature, certificate chain and validity window check out");
        out.println(
            revocationChecked
                ? "revocation: checked against the CA's CRL"
                : "revocation: not checked (no --crl given)");
        if (!trusted) {
          out.printf(
              "UNTRUSTED: the report says host %s is %s, not VERIFIED%n",
              report.hostId(), report.status());
        }
        print(out, report);
      }
      return trusted ? ExitCodes.OK : ExitCodes.FAILED;
    }
  }

  static X509CRL crl(byte[] bytes, Path from) throws CliIo.BadInput {
    try {
      return (X509CRL)
          CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(bytes));
    } catch (java.security.GeneralSecurityException | RuntimeException e) {
      throw new CliIo.BadInput(from + " is not a CRL: " + e.getMessage());
    }
  }

  static List<X509Certificate> certificates(byte[] bytes, Path from) throws CliIo.BadInput {
    try {
      List<X509Certificate> out = new ArrayList<>();
      for (var c :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(bytes))) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new CliIo.BadInput(from + " holds no certificate");
      }
      return out;
    } catch (CertificateException e) {
      throw new CliIo.BadInput(from + " is not a PEM or DER certificate: " + e.getMessage());
    }
  }

  private static String subject(byte[] der) {
    try {
      return ((X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(new ByteArrayInputStream(der)))
          .getSubjectX500Principal()
          .getName();
    } catch (CertificateException e) {
      return "undecodable certificate";
    }
  }

  static void print(PrintWriter out, TrustReport r) {
    out.printf("Report %s for host %s (%s)%n", r.id(), r.hostId(), r.host().hostName());
    out.printf(
        "  host: TPM %s, OS %s %s, BIOS %s %s, Secure Boot %s%n",
        r.host().tpmVersion(),
        r.host().osName(),
        r.host().osVersion(),
        r.host().biosName(),
        r.host().biosVersion(),
        r.secureBoot().map(b -> b ? "on" : "off").orElse("not shown"));
    out.printf("  status: %s (OVERALL %s) %s%n", r.status(), r.overall(), r.detail());
    out.printf("  valid: %s .. %s%n", r.created(), r.expires());
    for (PartTrust p : r.parts().values()) {
      out.printf("  %s: %s%n", p.part(), p.trusted() ? "trusted" : "NOT trusted");
      for (FlavorRuleResult rule : p.rules()) {
        String pcr = rule.pcrIndex().isPresent() ? " PCR " + rule.pcrIndex().getAsInt() : "";
        out.printf(
            "    %s %s%s%s%n",
            rule.trusted() ? "ok  " : "FAIL",
            rule.ruleName(),
            pcr,
            rule.flavorId().map(id -> " (flavor " + id + ")").orElse(""));
        for (Fault f : rule.faults()) {
          out.printf("         %s: %s%n", f.name(), f.description());
        }
      }
    }
    out.flush();
  }
}
