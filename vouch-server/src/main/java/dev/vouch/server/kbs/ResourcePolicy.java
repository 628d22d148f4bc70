package dev.vouch.server.kbs;

import dev.vouch.policy.Appraisal;
import dev.vouch.policy.Policy;
import dev.vouch.policy.PolicyCompiler;
import dev.vouch.policy.PolicyEngine;
import dev.vouch.policy.PolicyException;
import dev.vouch.policy.RuleResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decides whether a resource may be released. A policy document in Vouch's CEL policy form (see
 * {@link PolicyCompiler}) whose rules see {@code claims}, the attestation token's claims as JSON
 * (e.g. {@code claims["submods"]["cpu0"]["ear.status"]}), and {@code input}, the request: {@code
 * repository}, {@code type}, {@code tag} and {@code path} ({@code repository/type/tag}). Release
 * needs every rule to pass; {@code reference} is empty. The default releases only to tokens whose
 * every submod is affirming. Immutable and thread-safe.
 */
public final class ResourcePolicy {
  /** The id policies are stored under, as in Trustee. */
  public static final String ID = "resource-policy";

  private final Policy policy;

  private ResourcePolicy(Policy policy) {
    this.policy = policy;
  }

  /** The outcome: allowed, or the failed rules with their explanations. */
  public record Decision(boolean allowed, List<String> reasons) {
    public Decision {
      reasons = List.copyOf(reasons);
    }
  }

  /**
   * Compiles a policy document.
   *
   * @throws KbsError {@link KbsError.Kind#ParsePolicyError} with the compiler's message
   */
  public static ResourcePolicy compile(String source) throws KbsError {
    try {
      return new ResourcePolicy(PolicyCompiler.compile(ID, source));
    } catch (PolicyException e) {
      throw new KbsError(KbsError.Kind.ParsePolicyError, e.getMessage());
    }
  }

  /** The default policy: release only to affirming results. */
  public static ResourcePolicy defaultPolicy() {
    try {
      return compile(defaultSource());
    } catch (KbsError e) {
      throw new IllegalStateException("the shipped default resource policy does not compile", e);
    }
  }

  /** The default policy's source. */
  public static String defaultSource() {
    try (InputStream in =
        ResourcePolicy.class.getResourceAsStream("default-resource-policy.yaml")) {
      if (in == null) {
        throw new IllegalStateException("missing default-resource-policy.yaml");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The policy's source document. */
  public String source() {
    return policy.source();
  }

  /** Evaluates the policy for one request. */
  public Decision decide(Map<String, Object> tokenClaims, ResourcePath path) {
    Map<String, Object> input =
        Map.of(
            "repository", path.repository(),
            "type", path.type(),
            "tag", path.tag(),
            "path", path.toString());
    Appraisal a;
    try {
      a = PolicyEngine.evaluate(policy, tokenClaims, Map.of(), input);
    } catch (IllegalArgumentException e) {
      return new Decision(false, List.of("token claims cannot be evaluated: " + e.getMessage()));
    }
    List<RuleResult> failed = a.failures();
    if (failed.isEmpty()) {
      return new Decision(true, List.of());
    }
    List<String> reasons = new ArrayList<>();
    for (RuleResult r : failed) {
      String why = r.explanation();
      reasons.add(
          "rule "
              + r.rule()
              + " "
              + r.outcome().name().toLowerCase(java.util.Locale.ROOT)
              + (why.isEmpty() ? "" : ": " + why));
    }
    return new Decision(false, reasons);
  }
}
