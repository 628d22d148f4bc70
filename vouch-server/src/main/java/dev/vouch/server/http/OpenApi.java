package dev.vouch.server.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The OpenAPI 3.1 document served at {@code /api/v1/openapi.json}, built from the route table that
 * {@link Routes} fills: no annotations, no scanning. Thread-safe.
 */
public final class OpenApi {
  private static final String KBS_PREFIX = "/kbs/";
  private static final Pattern PARAM = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}");
  private final List<ApiRoute> routes = new CopyOnWriteArrayList<>();
  // by "METHOD path": the audit recorder looks every request's route up here
  private final Map<String, ApiRoute> byRoute = new java.util.concurrent.ConcurrentHashMap<>();
  private final String version;

  public OpenApi(String version) {
    this.version = version;
  }

  /** Adds a route (routes registered outside {@link Routes} may add themselves here). */
  public void add(ApiRoute r) {
    routes.add(r);
    byRoute.putIfAbsent(r.method() + " " + r.path(), r);
  }

  /**
   * Replaces a documented route by a fuller description of it (its schemas) and answers the new
   * one.
   *
   * @throws IllegalStateException when {@code old} was never added
   */
  public ApiRoute replace(ApiRoute old, ApiRoute described) {
    if (old == null) {
      throw new IllegalStateException("no route to describe: add the route first");
    }
    int i = routes.indexOf(old);
    if (i < 0) {
      throw new IllegalStateException(
          "route not in the document: " + old.method() + " " + old.path());
    }
    routes.set(i, described);
    byRoute.replace(old.method() + " " + old.path(), old, described);
    return described;
  }

  /** Routes whose request or response schema is missing, as "METHOD path: what". */
  public List<String> undescribed() {
    return routes.stream()
        .filter(r -> !r.missingSchemas().isEmpty())
        .map(
            r ->
                r.method()
                    + " "
                    + r.path()
                    + ": no "
                    + String.join(", no ", r.missingSchemas())
                    + " schema")
        .toList();
  }

  /** The documented route for {@code method} and the matched path template, if any. */
  public java.util.Optional<ApiRoute> find(String method, String path) {
    return java.util.Optional.ofNullable(byRoute.get(method + " " + path));
  }

  public List<ApiRoute> routes() {
    return List.copyOf(routes);
  }

  /** The document as a JSON-ready map. */
  public Map<String, Object> document() {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("openapi", "3.1.0");
    doc.put(
        "info",
        Map.of(
            "title",
            "Vouch API",
            "version",
            version,
            "description",
            "Attestation service, reference values and policies. Errors are"
                + " application/problem+json (RFC 9457) with type "
                + Problem.TYPE_PREFIX
                + "<code>."));
    Map<String, Object> paths = new TreeMap<>();
    for (ApiRoute r : routes) {
      @SuppressWarnings("unchecked")
      Map<String, Object> item =
          (Map<String, Object>) paths.computeIfAbsent(r.path(), p -> new LinkedHashMap<>());
      item.put(r.method().toLowerCase(java.util.Locale.ROOT), operation(r));
    }
    doc.put("paths", paths);
    doc.put(
        "components",
        Map.of(
            "securitySchemes",
            Map.of(
                "adminToken",
                Map.of(
                    "type",
                    "http",
                    "scheme",
                    "bearer",
                    "description",
                    "an admin JWT from POST /api/v1/auth/token or a service account's API key")),
            "schemas",
            Map.of(
                "KbsError",
                Map.of(
                    "type",
                    "object",
                    "required",
                    List.of("type", "detail"),
                    "properties",
                    Map.of(
                        "type", Map.of("type", "string", "format", "uri"),
                        "detail", Map.of("type", "string"))),
                "Problem",
                Map.of(
                    "type",
                    "object",
                    "required",
                    List.of("type", "title", "status"),
                    "properties",
                    Map.of(
                        "type", Map.of("type", "string", "format", "uri"),
                        "title", Map.of("type", "string"),
                        "status", Map.of("type", "integer"),
                        "detail", Map.of("type", "string"))))));
    return doc;
  }

  private static Map<String, Object> operation(ApiRoute r) {
    Map<String, Object> op = new LinkedHashMap<>();
    op.put("summary", r.summary());
    op.put("operationId", operationId(r));
    List<Object> params = new ArrayList<>();
    Matcher m = PARAM.matcher(r.path());
    while (m.find()) {
      params.add(
          Map.of(
              "name",
              m.group(1),
              "in",
              "path",
              "required",
              true,
              "schema",
              Map.of("type", "string")));
    }
    if (!params.isEmpty()) {
      op.put("parameters", params);
    }
    if (r.requestType() != null) {
      op.put(
          "requestBody",
          Map.of(
              "required",
              true,
              "content",
              Map.of(
                  r.requestType(),
                  Map.of("schema", r.request().map(JsonSchema::json).orElse(Map.of())))));
    }
    if (r.admin()) {
      op.put("security", List.of(Map.of("adminToken", List.of())));
    }
    r.permission()
        .ifPresent(
            p -> {
              op.put("x-vouch-permission", p.value());
              op.put(
                  "description",
                  "Needs the permission `"
                      + p.value()
                      + "` (401 without a valid token, else 403).");
            });
    Map<String, Object> responses = new LinkedHashMap<>();
    List<Integer> statuses = new ArrayList<>(r.statuses());
    if (r.permission().isPresent()) {
      // every guarded route can refuse, whether or not its registration lists it
      for (int s : List.of(401, 403)) {
        if (!statuses.contains(s)) {
          statuses.add(s);
        }
      }
    }
    for (int s : statuses) {
      if (s < 400) {
        responses.put(
            String.valueOf(s),
            s == 204
                ? Map.of("description", "done")
                : Map.of(
                    "description",
                    "success",
                    "content",
                    Map.of(
                        r.responseType(),
                        Map.of("schema", r.response().map(JsonSchema::json).orElse(Map.of())))));
      } else {
        responses.put(
            String.valueOf(s),
            Map.of(
                "description",
                "problem",
                "content",
                r.path().startsWith(KBS_PREFIX)
                    // the KBS refuses as Trustee does, with its own error document
                    ? Map.of(
                        "application/json",
                        Map.of("schema", Map.of("$ref", "#/components/schemas/KbsError")))
                    : Map.of(
                        "application/problem+json",
                        Map.of("schema", Map.of("$ref", "#/components/schemas/Problem")))));
      }
    }
    op.put("responses", responses);
    return op;
  }

  private static String operationId(ApiRoute r) {
    StringBuilder sb = new StringBuilder(r.method().toLowerCase(java.util.Locale.ROOT));
    for (String part : r.path().split("[/{}.-]+")) {
      if (!part.isEmpty()) {
        sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
      }
    }
    return sb.toString();
  }
}
