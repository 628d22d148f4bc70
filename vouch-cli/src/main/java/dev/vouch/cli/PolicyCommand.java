package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.policy.Appraisal;
import dev.vouch.policy.Finding;
import dev.vouch.policy.Policy;
import dev.vouch.policy.PolicyCompiler;
import dev.vouch.policy.PolicyEngine;
import dev.vouch.policy.PolicyException;
import dev.vouch.policy.RuleResult;
import dev.vouch.policy.Tier;
import dev.vouch.policy.Values;
import dev.vouch.policy.rvps.BundleKeys;
import dev.vouch.policy.rvps.ReferenceValue;
import dev.vouch.policy.rvps.ReferenceValueMessages;
import dev.vouch.policy.trustee.Ar4siPolicy;
import dev.vouch.server.as.AttestationService;
import dev.vouch.server.as.TrusteeClaimTree;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
        Map<String, Object> r =
            reference == null ? Map.of() : reference(CliIo.read(reference, "reference values"));
        if (Ar4siPolicy.recognises(source)) {
          return trustClaims(Ar4siPolicy.compile(id, source), r, out);
        }
        Policy p = PolicyCompiler.compile(id, source);
        Map<String, Object> c = claims(CliIo.read(claims, "claims"));
        Appraisal a = PolicyEngine.evaluate(p, c, r, Map.of());
        if (json) {
          CliIo.printJson(out, document(a));
        } else {
          print(out, a);
        }
        return a.affirming() ? ExitCodes.OK : ExitCodes.FAILED;
      } catch (PolicyException e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      } catch (CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
    }

    /**
     * A trust claim document ({@link Ar4siPolicy}) over Trustee's input: the claims file as given
     * ({@code {"sample": {...}, ...}}), or built from a {@code vouch verify --json} document as the
     * attestation service builds it.
     */
    private Integer trustClaims(Ar4siPolicy p, Map<String, Object> r, PrintWriter out)
        throws CliIo.BadInput {
      byte[] bytes = CliIo.read(claims, "claims");
      JsonNode root = object(bytes, "claims");
      Map<String, Object> input;
      if (verifyDocument(root)) {
        String kind = root.path("tee").asText();
        Tee tee =
            Tee.fromWireName(kind)
                .orElseThrow(() -> new CliIo.BadInput("claims: unknown tee '" + kind + "'"));
        Map<String, Object> tree =
            TrusteeClaimTree.of(tee, claims(bytes))
                .orElseThrow(
                    () -> new CliIo.BadInput("claims: Vouch builds no Trustee tree for " + kind));
        input = AttestationService.trusteeInput(tee, tree, Map.of());
      } else {
        input = claims(bytes);
      }
      Ar4siPolicy.Appraisal a = p.evaluate(input, r);
      Map<String, Object> cases = new LinkedHashMap<>();
      a.decidedBy().forEach((c, by) -> cases.put(c.earName(), by));
      Tier status = a.vector().status();
      if (json) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("policy", a.policyId());
        doc.put("status", status.earName());
        doc.put("trust_vector", a.vector().toEar());
        doc.put("cases", cases);
        doc.put("errors", a.errors());
        CliIo.printJson(out, doc);
      } else {
        out.printf("policy %s%n", a.policyId());
        cases.forEach((c, by) -> out.printf("%-18s %4d  %s%n", c, a.vector().toEar().get(c), by));
        a.errors().forEach(e -> out.println("ERROR " + e));
        out.println("ear.status: " + status.earName());
      }
      return status == Tier.AFFIRMING ? ExitCodes.OK : ExitCodes.FAILED;
    }

    /** The whole {@code vouch verify --json} document carries the claims in "claims". */
    private static boolean verifyDocument(JsonNode root) {
      JsonNode c = root.get("claims");
      return c != null && c.isObject() && (root.has("valid") || root.has("tee"));
    }

    private Map<String, Object> claims(byte[] bytes) throws CliIo.BadInput {
      JsonNode root = object(bytes, "claims");
      if (verifyDocument(root)) {
        root = root.get("claims");
      }
      try {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Values.fromJson(root);
        return m;
      } catch (IllegalArgumentException e) {
        throw new CliIo.BadInput("claims " + claims + ": " + e.getMessage());
      }
    }

    private Map<String, Object> reference(byte[] bytes) throws CliIo.BadInput {
      JsonNode root = object(bytes, "reference values");
      ReferenceValueMessages messages =
          new ReferenceValueMessages(BundleKeys.none(), Clock.systemUTC());
      try {
        List<ReferenceValue> values =
            root.has("type") && root.has("payload")
                ? messages.parse(bytes)
                : messages.sample(bytes, null);
        Map<String, Object> m = new LinkedHashMap<>();
        values.forEach(v -> m.put(v.name(), v.values()));
        return m;
      } catch (VerificationException e) {
        throw new CliIo.BadInput(
            "reference values " + reference + ": " + e.failure().code() + " " + e.getMessage());
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

    private static Map<String, Object> document(Appraisal a) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("policy", a.policyId());
      doc.put("status", a.status().earName());
      doc.put("trust_vector", a.trustVector().toEar());
      List<Map<String, Object>> rules = new ArrayList<>();
      for (RuleResult r : a.rules()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rule", r.rule());
        m.put("outcome", r.outcome().name().toLowerCase(Locale.ROOT));
        m.put("category", r.category().policyName());
        m.put("tier", r.tier().earName());
        m.put("explanation", r.explanation());
        List<Map<String, Object>> findings = new ArrayList<>();
        for (Finding f : r.findings()) {
          findings.add(finding(f));
        }
        m.put("findings", findings);
        rules.add(m);
      }
      doc.put("rules", rules);
      return doc;
    }

    private static Map<String, Object> finding(Finding f) {
      Map<String, Object> m = new LinkedHashMap<>();
      switch (f) {
        case Finding.Comparison c -> {
          m.put("kind", "comparison");
          m.put("claim", c.claim());
          m.put("operator", c.operator());
          m.put("expected", plain(c.expected()));
          if (c.reference() != null) {
            m.put("reference", c.reference());
          }
          m.put("actual", plain(c.actual()));
        }
        case Finding.Presence p -> {
          m.put("kind", "presence");
          m.put("source", p.source().label());
          m.put("name", p.name());
          m.put("present", p.present());
        }
        case Finding.Expression e -> {
          m.put("kind", "expression");
          m.put("expression", e.expression());
          Map<String, Object> read = new LinkedHashMap<>();
          e.claimsRead().forEach((k, v) -> read.put(k, plain(v)));
          m.put("claims_read", read);
        }
        case Finding.Error e -> {
          m.put("kind", "error");
          m.put("message", e.message());
        }
      }
      m.put("holds", f.holds());
      m.put("text", f.text());
      return m;
    }

    private static Object plain(Object v) {
      return Values.toPlain(v);
    }
  }
}
