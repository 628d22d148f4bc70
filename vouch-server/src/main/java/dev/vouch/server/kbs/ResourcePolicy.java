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
 * repository}, {@code type}, {@code tag} and {@code path} ({@code repository/type/tag}), and the
 * same request as Trustee's resource policies see it in Rego's {@code data}: {@code plugin} ({@code
 * resource}), {@code resource-path} ({@code [repository, type, tag]}) and {@code query} (empty).
 * Release needs every rule to pass; {@code reference} is empty. The default releases only to tokens
 * whose every submod is affirming. Trustee's sample policies translated to CEL are shipped too
 * ({@link #trustee}). Immutable and thread-safe.
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
    return shipped("default-resource-policy.yaml");
  }

  /** Trustee's resource policies (kbs/sample_policies) translated to CEL, by Rego file stem. */
  public static final java.util.List<String> TRUSTEE_POLICIES =
      List.of("default", "allow_all", "deny_all", "affirming");

  /**
   * The CEL translation of one of Trustee's sample resource policies; docs/trustee-policies.md sets
   * each beside its Rego.
   *
   * @param name a {@link #TRUSTEE_POLICIES} name, e.g. {@code allow_all}
   * @throws IllegalArgumentException for another name
   */
  public static ResourcePolicy trustee(String name) {
    if (!TRUSTEE_POLICIES.contains(name)) {
      throw new IllegalArgumentException("no Trustee resource policy " + name);
    }
    try {
      return compile(shipped("trustee/" + name + ".yaml"));
    } catch (KbsError e) {
      throw new IllegalStateException("the shipped policy " + name + " does not compile", e);
    }
  }

  private static String shipped(String resource) {
    try (InputStream in = ResourcePolicy.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing " + resource);
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
    Map<String, Object> input = new java.util.LinkedHashMap<>();
    input.put("repository", path.repository());
    input.put("type", path.type());
    input.put("tag", path.tag());
    input.put("path", path.toString());
    input.putAll(
        trusteeData("resource", List.of(path.repository(), path.type(), path.tag()), Map.of()));
    return decide(tokenClaims, input);
  }

  /**
   * Evaluates the policy for a request as Trustee describes one to its resource policies: the
   * plugin name, the path below it and the query. Vouch serves only the {@code resource} plugin;
   * this form lets Trustee's policies be checked on their own inputs.
   */
  public Decision decideTrusteeRequest(
      Map<String, Object> tokenClaims,
      String plugin,
      List<String> resourcePath,
      Map<String, String> query) {
    return decide(tokenClaims, trusteeData(plugin, resourcePath, query));
  }

  private static Map<String, Object> trusteeData(
      String plugin, List<String> resourcePath, Map<String, String> query) {
    return Map.of("plugin", plugin, "resource-path", List.copyOf(resourcePath), "query", query);
  }

  private Decision decide(Map<String, Object> tokenClaims, Map<String, Object> input) {
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
