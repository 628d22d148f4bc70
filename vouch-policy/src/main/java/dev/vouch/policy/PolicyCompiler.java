package dev.vouch.policy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Compiles policy documents. A document is YAML:
 *
 * <pre>{@code
 * description: Strict TDX policy        # optional
 * rules:                                # at least one
 *   - name: debug_off                   # unique; letters, digits, '_', '-', '.'
 *     category: configuration           # instance_identity, configuration, executables,
 *                                       # file_system, hardware, runtime_opaque,
 *                                       # storage_opaque or sourced_data
 *     expr: claims["tdx.debug"] == false
 *     on_fail: contraindicated          # or warning; default contraindicated
 *     description: Debug TDs expose their memory to the host   # optional
 * }</pre>
 *
 * <p>Each {@code expr} is a CEL expression that must type-check to {@code bool} against three
 * variables: {@code claims} ({@code map(string, dyn)}, the verifier's flat claims), {@code
 * reference} ({@code map(string, list(dyn))}, the reference values by name) and {@code input}
 * ({@code map(string, dyn)}, request data such as runtime data or init data claims). Claim names
 * contain dots, so rules index the map: {@code claims["tpm.pcr.sha256.7"] in
 * reference["tpm.pcr.sha256.7"]}. A rule that reads an absent claim or reference value fails (it
 * does not pass by accident): guard optional claims with {@code "name" in claims}.
 *
 * <p>A category's value in the trust vector is affirming (2) when all its rules pass, the worst
 * {@code on_fail} tier of its failing rules otherwise (warning 32, contraindicated 96), and 0 when
 * no rule appraises it. A rule that errors (including one that exceeds the {@link
 * EvaluationLimits}) counts as contraindicated.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class PolicyCompiler {
  private static final Pattern RULE_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final int MAX_RULES = 256;
  private static final int MAX_EXPRESSION_CHARS = 16_384;
  private static final YAMLFactory YAML = new YAMLFactory();
  private static final PolicyCompiler DEFAULT = new PolicyCompiler(EvaluationLimits.DEFAULT);

  private final EvaluationLimits limits;
  private final CelCompiler compiler;
  private final CelRuntime runtime;

  /** A compiler whose policies evaluate under the given limits. */
  public PolicyCompiler(EvaluationLimits limits) {
    this.limits = limits;
    CelOptions options =
        CelOptions.current()
            .comprehensionMaxIterations(limits.maxIterations())
            .maxExpressionCodePointSize(MAX_EXPRESSION_CHARS)
            .enableHeterogeneousNumericComparisons(true)
            .populateMacroCalls(true)
            .build();
    this.compiler =
        CelCompilerFactory.standardCelCompilerBuilder()
            .setOptions(options)
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("claims", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .addVar("reference", MapType.create(SimpleType.STRING, ListType.create(SimpleType.DYN)))
            .addVar("input", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .setResultType(SimpleType.BOOL)
            .build();
    this.runtime = CelRuntimeFactory.standardCelRuntimeBuilder().setOptions(options).build();
  }

  /** Compiles with version 1 and the default limits. */
  public static Policy compile(String id, String source) throws PolicyException {
    return DEFAULT.compile(id, 1, source);
  }

  /** The limits this compiler's policies evaluate under. */
  public EvaluationLimits limits() {
    return limits;
  }

  /**
   * Parses, type-checks and prepares every rule of a document.
   *
   * @throws PolicyException for a YAML error, a structural error (unknown key, missing field,
   *     duplicate rule name, bad category or tier) or a rule that does not compile; the exception
   *     carries the compiler's message and the position
   */
  public Policy compile(String id, int version, String source) throws PolicyException {
    Document doc = parse(id, source);
    List<CompiledRule> compiled = new ArrayList<>(doc.rules.size());
    for (RuleSpec spec : doc.rules) {
      compiled.add(compileRule(id, spec));
    }
    return new Policy(id, version, source, doc.description, compiled);
  }

  private CompiledRule compileRule(String policyId, RuleSpec spec) throws PolicyException {
    CelAbstractSyntaxTree ast;
    try {
      ast = compiler.compile(spec.rule.expression(), "rule " + spec.rule.name()).getAst();
    } catch (CelValidationException e) {
      CelIssue first = e.getErrors().isEmpty() ? null : e.getErrors().get(0);
      int line = first == null ? 0 : first.getSourceLocation().getLine();
      // CEL counts columns from 0; editors and people count from 1
      int column = first == null ? 0 : first.getSourceLocation().getColumn() + 1;
      throw new PolicyException(
          policyId, spec.rule.name(), line, column, spec.exprLine, e.getMessage());
    }
    try {
      return new CompiledRule(spec.rule, ast, runtime.createProgram(ast), limits);
    } catch (CelEvaluationException e) {
      throw new PolicyException(policyId, spec.rule.name(), 0, 0, spec.exprLine, e.getMessage());
    }
  }

  private record RuleSpec(Rule rule, int exprLine) {}

  private record Document(String description, List<RuleSpec> rules) {}

  // A streaming parse keeps each expression's document line for error messages, which a tree
  // model would lose.
  private static Document parse(String id, String source) throws PolicyException {
    try (JsonParser p = YAML.createParser(source)) {
      JsonToken t = p.nextToken();
      if (t != JsonToken.START_OBJECT) {
        throw structure(id, p, "a policy is a YAML mapping with a 'rules' list");
      }
      String description = "";
      List<RuleSpec> rules = null;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        p.nextToken();
        switch (key) {
          case "description" -> description = scalar(id, p, key);
          case "rules" -> rules = rules(id, p);
          default ->
              throw structure(
                  id, p, "unknown key '" + key + "' (expected 'description' or 'rules')");
        }
      }
      if (p.nextToken() != null) {
        throw structure(id, p, "a policy is one YAML document");
      }
      if (rules == null || rules.isEmpty()) {
        throw PolicyException.document(id, 0, 0, "a policy needs a non-empty 'rules' list");
      }
      return new Document(description, rules);
    } catch (JsonProcessingException e) {
      JsonLocation l = e.getLocation();
      throw PolicyException.document(
          id,
          l == null ? 0 : l.getLineNr(),
          l == null ? 0 : l.getColumnNr(),
          "YAML error: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw PolicyException.document(id, 0, 0, "cannot read the policy: " + e.getMessage());
    }
  }

  private static List<RuleSpec> rules(String id, JsonParser p) throws IOException, PolicyException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw structure(id, p, "'rules' must be a list");
    }
    List<RuleSpec> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    while (p.nextToken() == JsonToken.START_OBJECT) {
      int ruleLine = p.currentTokenLocation().getLineNr();
      String name = null;
      String category = null;
      String expr = null;
      String onFail = "contraindicated";
      String description = "";
      int exprLine = 0;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        p.nextToken();
        switch (key) {
          case "name" -> name = scalar(id, p, key);
          case "category" -> category = scalar(id, p, key);
          case "expr" -> {
            exprLine = p.currentTokenLocation().getLineNr();
            expr = scalar(id, p, key);
          }
          case "on_fail" -> onFail = scalar(id, p, key);
          case "description" -> description = scalar(id, p, key);
          default ->
              throw structure(
                  id,
                  p,
                  "unknown rule key '"
                      + key
                      + "' (expected name, category, expr, on_fail, description)");
        }
      }
      String where = "rule at line " + ruleLine;
      if (name == null || !RULE_NAME.matcher(name).matches()) {
        throw PolicyException.document(
            id, ruleLine, 1, where + ": 'name' must be 1-64 of A-Z a-z 0-9 _ . -");
      }
      if (!names.add(name)) {
        throw PolicyException.document(id, ruleLine, 1, "rule name '" + name + "' is used twice");
      }
      if (category == null) {
        throw PolicyException.document(id, ruleLine, 1, "rule " + name + " has no 'category'");
      }
      String cat = category;
      String ruleName = name;
      Category c =
          Category.fromName(category)
              .orElseThrow(
                  () ->
                      PolicyException.document(
                          id,
                          ruleLine,
                          1,
                          "rule "
                              + ruleName
                              + ": unknown category '"
                              + cat
                              + "' (one of instance_identity, configuration, executables,"
                              + " file_system, hardware, runtime_opaque, storage_opaque,"
                              + " sourced_data)"));
      Tier tier =
          switch (onFail) {
            case "warning" -> Tier.WARNING;
            case "contraindicated" -> Tier.CONTRAINDICATED;
            default ->
                throw PolicyException.document(
                    id,
                    ruleLine,
                    1,
                    "rule " + name + ": on_fail must be warning or contraindicated, not " + onFail);
          };
      if (expr == null || expr.isBlank()) {
        throw PolicyException.document(id, ruleLine, 1, "rule " + name + " has no 'expr'");
      }
      if (out.size() == MAX_RULES) {
        throw PolicyException.document(id, ruleLine, 1, "more than " + MAX_RULES + " rules");
      }
      out.add(new RuleSpec(new Rule(name, c, expr.strip(), tier, description), exprLine));
    }
    if (p.currentToken() != JsonToken.END_ARRAY) {
      throw structure(id, p, "each rule is a mapping with name, category, expr and on_fail");
    }
    return out;
  }

  private static String scalar(String id, JsonParser p, String key)
      throws IOException, PolicyException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_STRING) {
      return p.getText();
    }
    if (t == JsonToken.VALUE_NUMBER_INT
        || t == JsonToken.VALUE_NUMBER_FLOAT
        || t == JsonToken.VALUE_TRUE
        || t == JsonToken.VALUE_FALSE) {
      // YAML reads `expr: true` as a boolean; the expression text is what was written
      return p.getText();
    }
    throw structure(id, p, "'" + key + "' must be a single value");
  }

  private static PolicyException structure(String id, JsonParser p, String message) {
    JsonLocation l = p.currentTokenLocation();
    return PolicyException.document(id, l.getLineNr(), l.getColumnNr(), message);
  }
}
