package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.policy.Appraisal;
import dev.vouch.policy.PolicyException;
import dev.vouch.policy.RuleResult;
import dev.vouch.policy.trustee.Ar4siPolicy;
import dev.vouch.server.policy.PolicyDryRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vouch policy test}: a dry run of a policy over claims, explained rule by rule. */
@Command(
    name = "policy",
    description = "Work with appraisal policies.",
    subcommands = {PolicyCommand.Test.class})
final class PolicyCommand extends CommandGroup {

  /**
   * Evaluates a policy file over a claims file. Exit 0 when the result is affirming, 1 otherwise, 2
   * for bad input (including a policy that does not compile).
   */
  @Command(
      name = "test",
      description =
          "Evaluate a policy over claims and explain each rule: which claim, which expected value,"
              + " which actual value.",
      sortOptions = false)
  static final class Test implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--policy", required = true, description = "policy document (YAML)")
    Path policy;

    @Option(
        names = "--claims",
        required = true,
        description =
            "claims JSON: an object of claims, or the output of `vouch verify --json`; for a"
                + " trust_claims policy, Trustee's input ({\"sample\": {...}}) or that output")
    Path claims;

    @Option(
        names = "--reference",
        description = "reference values JSON: {\"name\": [values], ...} or an RVPS sample message")
    Path reference;

    @Option(names = "--json", description = "print one JSON document")
    boolean json;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        String source = new String(CliIo.read(policy, "policy"), StandardCharsets.UTF_8);
        String id = policy.getFileName().toString().replaceFirst("\\.ya?ml$", "");
        JsonNode c = object(CliIo.read(claims, "claims"), "claims");
        JsonNode r =
            reference == null
                ? null
                : object(CliIo.read(reference, "reference values"), "reference values");
        PolicyDryRun.Result result;
        try {
          result = PolicyDryRun.run(id, source, c, r);
        } catch (PolicyDryRun.BadInput e) {
          throw new CliIo.BadInput(e.getMessage());
        }
        if (json) {
          CliIo.printJson(out, result.document());
        } else {
          switch (result) {
            case PolicyDryRun.Rules rules -> print(out, rules.appraisal());
            case PolicyDryRun.TrustClaims t -> print(out, t);
          }
        }
        return result.affirming() ? ExitCodes.OK : ExitCodes.FAILED;
      } catch (PolicyException e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      } catch (CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
    }

    private static JsonNode object(byte[] bytes, String what) throws CliIo.BadInput {
      try {
        JsonNode n = JSON.readTree(bytes);
        if (n == null || !n.isObject()) {
          throw new CliIo.BadInput(what + " must be a JSON object");
        }
        return n;
      } catch (IOException e) {
        throw new CliIo.BadInput(what + " is not JSON: " + e.getMessage());
      }
    }

    private static void print(PrintWriter out, Appraisal a) {
      out.printf("policy %s%n", a.policyId());
      for (RuleResult r : a.rules()) {
        String verdict =
            switch (r.outcome()) {
              case PASSED -> "PASS ";
              case FAILED -> "FAIL ";
              case ERROR -> "ERROR";
            };
        out.printf(
            "%s %-24s %-18s %s%n", verdict, r.rule(), r.category().policyName(), r.explanation());
      }
      out.println("trust vector: " + a.trustVector());
      out.println("ear.status: " + a.status().earName());
    }

    private static void print(PrintWriter out, PolicyDryRun.TrustClaims t) {
      Ar4siPolicy.Appraisal a = t.appraisal();
      out.printf("policy %s%n", a.policyId());
      t.cases().forEach((c, by) -> out.printf("%-18s %4d  %s%n", c, a.vector().toEar().get(c), by));
      a.errors().forEach(e -> out.println("ERROR " + e));
      out.println("ear.status: " + a.vector().status().earName());
    }
  }
}
