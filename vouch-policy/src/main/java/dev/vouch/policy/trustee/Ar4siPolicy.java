package dev.vouch.policy.trustee;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.cel.common.CelAbstractSyntaxTree;
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
import dev.vouch.policy.Category;
import dev.vouch.policy.EvaluationLimits;
import dev.vouch.policy.PolicyException;
import dev.vouch.policy.TrustVector;
import dev.vouch.policy.Values;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A policy in the shape of Trustee's EAR policies: each AR4SI trust claim gets the value of the
 * first case whose CEL condition holds, else its default, as Rego's {@code default executables :=
 * 33} with {@code executables := 3 if {...} else := 4 if {...}} assigns it. Vouch's rule documents
 * ({@link dev.vouch.policy.PolicyCompiler}) can only say affirming, warning or contraindicated per
 * rule; this form carries Trustee's exact claim values (3, 4, 33, 36, 97...). YAML:
 *
 * <pre>{@code
 * description: ...                                # optional
 * trust_claims:                                   # at least one category
 *   executables:                                  # a Category, either spelling
 *     default: 33                                 # optional, 0 when absent
 *     cases:                                      # optional, tried in order
 *       - name: snp_measurement                   # unique in the document
 *         value: 3                                # an AR4SI claim value, -128..127
 *         expr: has(input.snp) && input.snp.measurement in reference["snp_launch_measurement"]
 * }</pre>
 *
 * <p>Conditions are CEL over {@code input} (Trustee's claim tree for one TEE, {@code {"snp": {...},
 * "init_data_claims": ..., "runtime_data_claims": ...}}, a {@code map(string, dyn)}) and {@code
 * reference} (Rego's {@code query_reference_value(name)} is {@code reference[name]}), a {@code
 * map(string, list(dyn))}: a reference value is always the list of accepted values, as Vouch's RVPS
 * stores it, and a single value given is a one-element list. So Rego's {@code x ==
 * query_reference_value(n)} is {@code x in reference[n]} here. A condition that errors (an absent
 * field or reference value) does not hold, as a Rego body with an undefined term does not; the
 * error is reported.
 *
 * <p>The AS tells this form from a rule document ({@link dev.vouch.policy.PolicyCompiler}) by its
 * top-level {@code trust_claims} key ({@link #recognises}). Immutable and thread-safe.
 */
public final class Ar4siPolicy {
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory()).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final int MAX_CASES = 256;
  private static final int MAX_EXPRESSION_CHARS = 16_384;

  /** One case: the claim value when the condition holds. */
  public record Case(String name, int value, String expression) {}

  /** One trust claim's default and cases. */
  public record Claim(Category category, int defaultValue, List<Case> cases) {
    public Claim {
      cases = List.copyOf(cases);
    }
  }

  /**
   * The outcome.
   *
   * @param vector the trust claim values
   * @param decidedBy per category, the case that set the value, or {@code default}
   * @param errors conditions that errored, as {@code case: message}; each counted as not holding
   */
  public record Appraisal(
      String policyId, TrustVector vector, Map<Category, String> decidedBy, List<String> errors) {
    public Appraisal {
      decidedBy = Map.copyOf(decidedBy);
      errors = List.copyOf(errors);
    }
  }

  private record Compiled(Case c, CelRuntime.Program program) {}

  private final String id;
  private final String source;
  private final String description;
  private final List<Claim> claims;
  private final Map<Category, List<Compiled>> programs;

  private Ar4siPolicy(
      String id,
      String source,
      String description,
      List<Claim> claims,
      Map<Category, List<Compiled>> programs) {
    this.id = id;
    this.source = source;
    this.description = description;
    this.claims = List.copyOf(claims);
    this.programs = programs;
  }

  /** The policy id. */
  public String id() {
    return id;
  }

  /** The document as given. */
  public String source() {
    return source;
  }

  /** The document's description, or empty. */
  public String description() {
    return description;
  }

  /** The trust claims the document sets, in document order. */
  public List<Claim> claims() {
    return claims;
  }

  /**
   * Whether {@code source} is a document of this form: a YAML mapping with a top-level {@code
   * trust_claims} key. False for anything else, including text that is not YAML (the rule compiler
   * then reports what is wrong with it).
   */
  public static boolean recognises(String source) {
    try {
      JsonNode root = YAML.readTree(source);
      return root != null && root.isObject() && root.has("trust_claims");
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Parses and type-checks a document; each condition must type-check to {@code bool}.
   *
   * @throws PolicyException for YAML or structural errors, and for a condition that does not
   *     compile
   */
  public static Ar4siPolicy compile(String id, String source) throws PolicyException {
    return compile(id, source, EvaluationLimits.DEFAULT);
  }

  /** {@link #compile(String, String)} with other comprehension limits. */
  public static Ar4siPolicy compile(String id, String source, EvaluationLimits limits)
      throws PolicyException {
    CelOptions options =
        CelOptions.current()
            .comprehensionMaxIterations(limits.maxIterations())
            .maxExpressionCodePointSize(MAX_EXPRESSION_CHARS)
            .enableHeterogeneousNumericComparisons(true)
            .build();
    CelCompiler compiler =
        CelCompilerFactory.standardCelCompilerBuilder()
            .setOptions(options)
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("input", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .addVar("reference", MapType.create(SimpleType.STRING, ListType.create(SimpleType.DYN)))
            .setResultType(SimpleType.BOOL)
            .build();
    CelRuntime runtime = CelRuntimeFactory.standardCelRuntimeBuilder().setOptions(options).build();

    JsonNode root;
    try {
      root = YAML.readTree(source);
    } catch (IOException e) {
      throw structure(id, "not YAML: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw structure(id, "a policy is a YAML mapping with a 'trust_claims' mapping");
    }
    onlyKeys(id, root, Set.of("description", "trust_claims"), "the document");
    String description = root.path("description").asText("");
    JsonNode tc = root.get("trust_claims");
    if (tc == null || !tc.isObject() || tc.isEmpty()) {
      throw structure(id, "'trust_claims' must map at least one trust claim");
    }
    List<Claim> claims = new ArrayList<>();
    Map<Category, List<Compiled>> programs = new EnumMap<>(Category.class);
    Set<String> names = new java.util.HashSet<>();
    int total = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = tc.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      Category cat =
          Category.fromName(e.getKey())
              .orElseThrow(() -> structure(id, "unknown trust claim '" + e.getKey() + "'"));
      if (programs.containsKey(cat)) {
        throw structure(id, "trust claim " + cat.policyName() + " is given twice");
      }
      JsonNode spec = e.getValue();
      if (!spec.isObject()) {
        throw structure(id, "trust claim " + e.getKey() + " must be a mapping");
      }
      onlyKeys(id, spec, Set.of("default", "cases"), "trust claim " + e.getKey());
      int dflt = spec.has("default") ? claimValue(id, spec.get("default"), e.getKey()) : 0;
      List<Case> cases = new ArrayList<>();
      List<Compiled> compiled = new ArrayList<>();
      JsonNode cs = spec.path("cases");
      if (!cs.isMissingNode() && !cs.isArray()) {
        throw structure(id, "cases of " + e.getKey() + " must be a list");
      }
      for (JsonNode c : cs) {
        if (++total > MAX_CASES) {
          throw structure(id, "more than " + MAX_CASES + " cases");
        }
        if (!c.isObject()) {
          throw structure(id, "each case of " + e.getKey() + " is a mapping");
        }
        onlyKeys(id, c, Set.of("name", "value", "expr"), "a case of " + e.getKey());
        String name = c.path("name").asText("");
        if (!NAME.matcher(name).matches() || !names.add(name)) {
          throw structure(id, "case name '" + name + "' is missing, malformed or repeated");
        }
        if (!c.path("expr").isTextual()) {
          throw structure(id, "case " + name + " has no 'expr'");
        }
        Case k = new Case(name, claimValue(id, c.get("value"), name), c.get("expr").textValue());
        try {
          CelAbstractSyntaxTree ast = compiler.compile(k.expression(), "case " + name).getAst();
          compiled.add(new Compiled(k, runtime.createProgram(ast)));
        } catch (CelValidationException | CelEvaluationException ex) {
          throw new PolicyException(id, name, 0, 0, 0, ex.getMessage());
        }
        cases.add(k);
      }
      claims.add(new Claim(cat, dflt, cases));
      programs.put(cat, List.copyOf(compiled));
    }
    return new Ar4siPolicy(id, source, description, claims, programs);
  }

  /**
   * Appraises one TEE's claims. Never throws for anything the data contain.
   *
   * @param input Trustee's claim tree; values as {@link Values#normalize} takes them
   * @param reference reference values by name, each a list or a single value (seen as a one-element
   *     list)
   * @throws IllegalArgumentException for values policies cannot see (e.g. byte arrays)
   */
  public Appraisal evaluate(Map<String, ?> input, Map<String, ?> reference) {
    Map<String, Object> lists = new LinkedHashMap<>();
    reference.forEach((k, v) -> lists.put(k, v instanceof List<?> || v == null ? v : List.of(v)));
    Map<String, Object> vars =
        Map.of("input", Values.normalizeMap(input), "reference", Values.normalizeMap(lists));
    EnumMap<Category, Integer> vector = new EnumMap<>(Category.class);
    Map<Category, String> decidedBy = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    for (Claim claim : claims) {
      int value = claim.defaultValue();
      String by = "default";
      for (Compiled c : programs.get(claim.category())) {
        Object r;
        try {
          r = c.program().eval(vars);
        } catch (CelEvaluationException e) {
          errors.add(c.c().name() + ": " + e.getMessage());
          continue;
        }
        if (Boolean.TRUE.equals(r)) {
          value = c.c().value();
          by = c.c().name();
          break;
        }
      }
      vector.put(claim.category(), value);
      decidedBy.put(claim.category(), by);
    }
    return new Appraisal(id, new TrustVector(vector), decidedBy, errors);
  }

  private static int claimValue(String id, JsonNode n, String where) throws PolicyException {
    // AR4SI claim values are signed 8-bit integers
    if (n == null || !n.isIntegralNumber() || n.asInt() < -128 || n.asInt() > 127) {
      throw structure(id, where + ": a value must be an integer -128..127");
    }
    return n.asInt();
  }

  private static void onlyKeys(String id, JsonNode n, Set<String> allowed, String where)
      throws PolicyException {
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) {
        throw structure(id, where + " has an unknown key '" + k + "' (known: " + allowed + ")");
      }
    }
  }

  private static PolicyException structure(String id, String detail) {
    return new PolicyException(id, null, 0, 0, 0, detail);
  }
}
