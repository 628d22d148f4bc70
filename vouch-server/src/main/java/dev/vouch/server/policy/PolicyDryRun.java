package dev.vouch.server.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.policy.Appraisal;
import dev.vouch.policy.EvaluationLimits;
import dev.vouch.policy.Finding;
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
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A dry run of a policy document over given claims and reference values, without storing anything:
 * what {@code vouch policy test} prints and {@code POST /api/v1/policies/test} answers, from one
 * code path. A rule document is evaluated by {@link PolicyEngine} (each rule with its explanation
 * and findings); a trust claim document ({@link Ar4siPolicy}) over Trustee's input, which the
 * claims give as it is or as a {@code vouch verify --json} document the AS would turn into it.
 */
public final class PolicyDryRun {
  private static final ObjectMapper PLAIN = new ObjectMapper();
  private static final PolicyCompiler COMPILER = new PolicyCompiler(EvaluationLimits.DEFAULT);

  private PolicyDryRun() {}

  /** Claims or reference values that cannot be used; the message names which and why. */
  public static final class BadInput extends Exception {
    private static final long serialVersionUID = 1L;

    public BadInput(String message) {
      super(message);
    }
  }

  /** The outcome of one dry run, in the form of the policy that ran. */
  public sealed interface Result {
    /** Whether the policy affirms the claims (the CLI's exit 0). */
    boolean affirming();

    /** The JSON document: policy, form, status, trust_vector, then rules or cases and errors. */
    Map<String, Object> document();
  }

  /** A rule document's appraisal, each rule explained. */
  public record Rules(Appraisal appraisal) implements Result {
    @Override
    public boolean affirming() {
      return appraisal.affirming();
    }

    @Override
    public Map<String, Object> document() {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("policy", appraisal.policyId());
      doc.put("form", "rules");
      doc.put("status", appraisal.status().earName());
      doc.put("trust_vector", appraisal.trustVector().toEar());
      List<Map<String, Object>> rules = new ArrayList<>();
      for (RuleResult r : appraisal.rules()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rule", r.rule());
        m.put("outcome", r.outcome().name().toLowerCase(Locale.ROOT));
        m.put("category", r.category().policyName());
        m.put("tier", r.tier().earName());
        m.put("explanation", r.explanation());
        m.put("findings", r.findings().stream().map(PolicyDryRun::finding).toList());
        rules.add(m);
      }
      doc.put("rules", rules);
      return doc;
    }
  }

  /** A trust claim document's appraisal: per category, the case that decided it. */
  public record TrustClaims(Ar4siPolicy.Appraisal appraisal) implements Result {
    @Override
    public boolean affirming() {
      return appraisal.vector().status() == Tier.AFFIRMING;
    }

    /** Per AR4SI category (EAR name), the case that set its value, or {@code default}. */
    public Map<String, String> cases() {
      Map<String, String> cases = new LinkedHashMap<>();
      appraisal.decidedBy().forEach((c, by) -> cases.put(c.earName(), by));
      return cases;
    }

    @Override
    public Map<String, Object> document() {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("policy", appraisal.policyId());
      doc.put("form", "trust_claims");
      doc.put("status", appraisal.vector().status().earName());
      doc.put("trust_vector", appraisal.vector().toEar());
      doc.put("cases", cases());
      doc.put("errors", appraisal.errors());
      return doc;
    }
  }

  /**
   * Compiles {@code source} in the form its top-level keys name and evaluates it.
   *
   * @param claims a JSON object of claims, or a {@code vouch verify --json} document; for a trust
   *     claim document, Trustee's input ({@code {"sample": {...}}}) or that verify document
   * @param reference {@code {"name": [values], ...}}, an RVPS message, or {@code null} for none
   * @throws PolicyException when the document does not compile
   * @throws BadInput when the claims or reference values cannot be used
   */
  public static Result run(String id, String source, JsonNode claims, JsonNode reference)
      throws PolicyException, BadInput {
    AppraisalPolicy policy = AppraisalPolicy.compile(COMPILER, id, 0, source);
    if (claims == null || !claims.isObject()) {
      throw new BadInput("claims must be a JSON object");
    }
    Map<String, Object> refs = reference == null ? Map.of() : reference(reference);
    return switch (policy) {
      case AppraisalPolicy.Rules r ->
          new Rules(PolicyEngine.evaluate(r.policy(), claims(claims), refs, Map.of()));
      case AppraisalPolicy.TrustClaims t ->
          new TrustClaims(t.policy().evaluate(trusteeInput(claims), refs));
    };
  }

  /** The claims of a verify document, or the object itself. */
  private static Map<String, Object> claims(JsonNode root) throws BadInput {
    JsonNode c = verifyDocument(root) ? root.get("claims") : root;
    try {
      @SuppressWarnings("unchecked")
      Map<String, Object> m = (Map<String, Object>) Values.fromJson(c);
      return m;
    } catch (IllegalArgumentException e) {
      throw new BadInput("claims: " + e.getMessage());
    }
  }

  /** Trustee's input as given, or built from a verify document as the attestation service does. */
  private static Map<String, Object> trusteeInput(JsonNode root) throws BadInput {
    if (!verifyDocument(root)) {
      return claims(root);
    }
    String kind = root.path("tee").asText();
    Tee tee =
        Tee.fromWireName(kind)
            .orElseThrow(() -> new BadInput("claims: unknown tee '" + kind + "'"));
    Map<String, Object> tree =
        TrusteeClaimTree.of(tee, claims(root))
            .orElseThrow(() -> new BadInput("claims: Vouch builds no Trustee tree for " + kind));
    return AttestationService.trusteeInput(tee, tree, Map.of());
  }

  /** The whole {@code vouch verify --json} document carries the claims in "claims". */
  private static boolean verifyDocument(JsonNode root) {
    JsonNode c = root.get("claims");
    return c != null && c.isObject() && (root.has("valid") || root.has("tee"));
  }

  private static Map<String, Object> reference(JsonNode root) throws BadInput {
    if (!root.isObject()) {
      throw new BadInput("reference values must be a JSON object");
    }
    ReferenceValueMessages messages =
        new ReferenceValueMessages(BundleKeys.none(), Clock.systemUTC());
    try {
      byte[] bytes = PLAIN.writeValueAsBytes(root);
      List<ReferenceValue> values =
          root.has("type") && root.has("payload")
              ? messages.parse(bytes)
              : messages.sample(bytes, null);
      Map<String, Object> m = new LinkedHashMap<>();
      values.forEach(v -> m.put(v.name(), v.values()));
      return m;
    } catch (VerificationException e) {
      throw new BadInput("reference values: " + e.failure().code() + " " + e.getMessage());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a parsed JSON tree must serialise", e);
    }
  }

  private static Map<String, Object> finding(Finding f) {
    Map<String, Object> m = new LinkedHashMap<>();
    switch (f) {
      case Finding.Comparison c -> {
        m.put("kind", "comparison");
        m.put("claim", c.claim());
        m.put("operator", c.operator());
        m.put("expected", Values.toPlain(c.expected()));
        if (c.reference() != null) {
          m.put("reference", c.reference());
        }
        m.put("actual", Values.toPlain(c.actual()));
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
        e.claimsRead().forEach((k, v) -> read.put(k, Values.toPlain(v)));
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
}
