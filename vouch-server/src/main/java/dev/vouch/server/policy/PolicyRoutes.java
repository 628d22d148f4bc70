package dev.vouch.server.policy;

import static dev.vouch.server.http.JsonSchema.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.policy.DefaultPolicies;
import dev.vouch.policy.PolicyException;
import dev.vouch.policy.trustee.TrusteePolicies;
import dev.vouch.server.aas.Permission;
import dev.vouch.server.http.Json;
import dev.vouch.server.http.JsonSchema;
import dev.vouch.server.http.Problem;
import dev.vouch.server.http.Routes;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admin routes for appraisal policies: upload (compiled on upload; a document that does not compile
 * is answered 400 {@code policy-invalid} with the compiler's message, rule, line and column, and
 * nothing is stored), versions, list and delete. Uploads count from the next attestation on. A
 * document is a rule document, or a trust claim document when it has a top-level {@code
 * trust_claims} key ({@link AppraisalPolicy}).
 */
public final class PolicyRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyRoutes.class);
  private static final java.util.Set<String> TEST_FIELDS =
      java.util.Set.of("policy", "claims", "reference", "id");
  private final PolicyStore store;
  private static final JsonSchema DRY_RUN =
      object("policy", STRING, "status", STRING, "trust_vector", OBJECT);
  private static final JsonSchema SUMMARY =
      object("id", STRING, "version", INTEGER, "created_at", DATE_TIME);

  public PolicyRoutes(PolicyStore store) {
    this.store = store;
  }

  public void register(Routes r) {
    r.admin(
            Permission.POLICIES_READ,
            "POST",
            "/api/v1/policies/test",
            "Dry run of a policy document over given claims and reference values, explained rule by"
                + " rule; nothing is stored",
            "application/json",
            "application/json",
            List.of(200, 400, 401, 403, 413),
            this::test)
        .takes(
            object(
                "policy", text("the policy document, YAML"),
                "claims", OBJECT,
                "reference?", OBJECT,
                "id?", STRING))
        .returns(
            anyOf(
                DRY_RUN.and(
                    "form",
                    oneOf("rules"),
                    "rules",
                    arrayOf(
                        object(
                            "rule", STRING,
                            "outcome", STRING,
                            "category", STRING,
                            "tier", STRING,
                            "explanation", STRING,
                            "findings", arrayOf(ANY)))),
                DRY_RUN.and(
                    "form", oneOf("trust_claims"), "cases", OBJECT, "errors", arrayOf(STRING))));
    r.admin(
            Permission.POLICIES_WRITE,
            "PUT",
            "/api/v1/policies/{id}",
            "Upload a policy document (YAML) as the next version of this id",
            "application/yaml",
            "application/json",
            List.of(200, 400, 401, 413),
            this::put)
        .takes(text("the policy document, YAML"))
        .returns(SUMMARY);
    r.admin(
            Permission.POLICIES_READ,
            "GET",
            "/api/v1/policies/{id}",
            "All stored versions of a policy (or the built-in default)",
            null,
            "application/json",
            List.of(200, 401, 404),
            this::get)
        .returns(
            object(
                "id",
                STRING,
                "builtin",
                BOOLEAN,
                "latest?",
                INTEGER,
                "versions",
                arrayOf(
                    object(
                        "version", INTEGER,
                        "source", STRING,
                        "id?", STRING,
                        "created_at?", DATE_TIME))));
    r.admin(
        Permission.POLICIES_WRITE,
        "DELETE",
        "/api/v1/policies/{id}",
        "Delete every version of a policy",
        null,
        "application/json",
        List.of(204, 401, 404),
        this::delete);
    r.admin(
            Permission.POLICIES_READ,
            "GET",
            "/api/v1/policies",
            "Ids of stored and built-in policies",
            null,
            "application/json",
            List.of(200, 401),
            ctx -> Json.write(ctx, 200, Map.of("policies", store.ids(), "builtin", builtinIds())))
        .returns(object("policies", arrayOf(STRING), "builtin", arrayOf(STRING)));
  }

  private void put(Context ctx) {
    String id = id(ctx);
    String source = new String(ctx.bodyAsBytes(), StandardCharsets.UTF_8);
    StoredPolicy p;
    try {
      p = store.put(id, source);
    } catch (PolicyException e) {
      LOG.info("policy refused id={} detail={}", id, e.getMessage());
      throw invalid(e);
    }
    LOG.info("policy stored id={} version={}", p.id(), p.version());
    Json.write(ctx, 200, summary(p));
  }

  /** 400 {@code policy-invalid} with the compiler's message, rule, line and column. */
  private static Problem.ProblemException invalid(PolicyException e) {
    Problem problem =
        Problem.of(400, "policy-invalid", "The policy does not compile", e.getMessage())
            .with("compiler_message", e.detail())
            .with("line", e.line())
            .with("column", e.column())
            .with("document_line", e.documentLine());
    if (e.rule().isPresent()) {
      problem = problem.with("rule", e.rule().get());
    }
    return problem.exception();
  }

  /**
   * A dry run: {@code {"policy": "YAML", "claims": {...}, "reference": {...}, "id": "..."}}, the
   * last two optional. Nothing is stored and no token is signed, so reading policies is enough.
   */
  private void test(Context ctx) {
    JsonNode body = Json.object(ctx);
    Json.onlyFields(body, TEST_FIELDS, "a policy test");
    String source = Json.text(body, "policy");
    String id = body.has("id") ? Json.text(body, "id") : "dry-run";
    if (!PolicyStore.ID.matcher(id).matches()) {
      throw Problem.badRequest("bad-request", "'id' is not a valid policy id");
    }
    JsonNode reference = body.get("reference");
    PolicyDryRun.Result r;
    try {
      r = PolicyDryRun.run(id, source, body.get("claims"), reference);
    } catch (PolicyException e) {
      throw invalid(e);
    } catch (PolicyDryRun.BadInput e) {
      throw Problem.badRequest("bad-request", e.getMessage());
    }
    Json.write(ctx, 200, r.document());
  }

  private void get(Context ctx) {
    String id = id(ctx);
    List<StoredPolicy> versions = store.versions(id);
    Map<String, Object> res = new LinkedHashMap<>();
    res.put("id", id);
    if (versions.isEmpty()) {
      res.put("builtin", true);
      res.put("versions", List.of(Map.of("version", 0, "source", builtinSource(id))));
    } else {
      res.put("builtin", false);
      res.put("latest", versions.get(versions.size() - 1).version());
      res.put(
          "versions",
          versions.stream()
              .map(
                  v -> {
                    Map<String, Object> m = summary(v);
                    m.put("source", v.source());
                    return m;
                  })
              .toList());
    }
    Json.write(ctx, 200, res);
  }

  private void delete(Context ctx) {
    String id = id(ctx);
    if (!store.delete(id)) {
      throw Problem.notFound("no stored policy with id '" + id + "'");
    }
    LOG.info("policy deleted id={}", id);
    ctx.status(204);
  }

  private static List<String> builtinIds() {
    List<String> ids = new java.util.ArrayList<>();
    DefaultPolicies.KINDS.forEach(k -> ids.add(DefaultPolicies.id(k)));
    ids.add(TrusteePolicies.BUILTIN_ID);
    return ids;
  }

  private static String builtinSource(String id) {
    if (TrusteePolicies.BUILTIN_ID.equals(id)) {
      return TrusteePolicies.earDefaultCpuSource();
    }
    String kind = id.startsWith("default-") ? id.substring("default-".length()) : "";
    if (!DefaultPolicies.KINDS.contains(kind)) {
      throw Problem.notFound("no policy with id '" + id + "'");
    }
    return DefaultPolicies.source(kind);
  }

  private static Map<String, Object> summary(StoredPolicy p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", p.id());
    m.put("version", p.version());
    m.put("created_at", p.createdAt().toString());
    return m;
  }

  private static String id(Context ctx) {
    String id = ctx.pathParam("id");
    if (!PolicyStore.ID.matcher(id).matches()) {
      throw Problem.badRequest(
          "bad-request",
          "policy id must be 1-128 of A-Z a-z 0-9 _ . - starting with a letter or digit");
    }
    return id;
  }
}
