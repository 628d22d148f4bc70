package dev.vouch.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.vouch.server.TestServers;
import dev.vouch.server.aas.AasTestSupport;
import dev.vouch.server.aas.Permission;
import io.javalin.Javalin;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document's request and response schemas: every route of a server with every service
 * on has them (a route added without them fails here), and real answers of a running server, with
 * the requests that caused them, validate against the schemas the served document declares for
 * their status, with a JSON Schema 2020-12 validator that asserts formats (date-time).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiSchemasTest {
  private static final String YAML = "application/yaml";
  private static final String POLICY =
      "rules:\n  - name: debug_off\n    category: configuration\n"
          + "    expr: claims[\"sample.debug\"] == false\n";

  @TempDir static Path dir;
  private VouchServer server;
  private URI base;
  private JsonNode doc;
  private final JsonSchemaFactory factory =
      JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  private final SchemaValidatorsConfig config =
      SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();

  @BeforeAll
  void start() throws Exception {
    server = VouchServer.start(AasTestSupport.withBootstrapPassword(TestServers.plain(dir)));
    base = server.baseUri();
    doc =
        TestServers.JSON.readTree(
            AasTestSupport.send(base, "GET", "/api/v1/openapi.json", null, null, null).body());
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @Test
  void everyRouteHasItsRequestAndResponseSchemas() {
    List<ApiRoute> routes = server.services().openApi().routes();
    assertThat(routes).hasSizeGreaterThan(80);
    assertThat(server.services().openApi().undescribed()).isEmpty();
    // and the served document carries them: no empty schema left for a body
    List<String> empty = new ArrayList<>();
    doc.path("paths")
        .properties()
        .forEach(
            path ->
                path.getValue()
                    .properties()
                    .forEach(
                        op -> {
                          String where = op.getKey() + " " + path.getKey();
                          op.getValue()
                              .path("requestBody")
                              .path("content")
                              .forEach(
                                  c -> {
                                    if (c.path("schema").isEmpty()) {
                                      empty.add(where + " request");
                                    }
                                  });
                          op.getValue()
                              .path("responses")
                              .properties()
                              .forEach(
                                  r ->
                                      r.getValue()
                                          .path("content")
                                          .forEach(
                                              c -> {
                                                if (c.path("schema").isEmpty()) {
                                                  empty.add(where + " " + r.getKey());
                                                }
                                              }));
                        }));
    assertThat(empty).isEmpty();
  }

  @Test
  void aRouteAddedWithoutSchemasIsListedAndOneWithThemIsNot() {
    OpenApi api = new OpenApi("test");
    Javalin.create(
        cfg -> {
          Routes r = new Routes(cfg, api, server.services().admin());
          r.admin(
              Permission.HOSTS_WRITE,
              "POST",
              "/api/v1/new-thing",
              "new",
              "application/json",
              "application/json",
              List.of(201, 400),
              ctx -> {});
          r.open("GET", "/api/v1/other", "other", null, "application/json", List.of(200), c -> {})
              .returns(JsonSchema.object("id", JsonSchema.STRING));
          r.open(
              "DELETE", "/api/v1/other", "gone", null, "application/json", List.of(204), c -> {});
        });
    assertThat(api.undescribed())
        .containsExactly("POST /api/v1/new-thing: no request, no response schema");
    // one line each makes it whole
    ApiRoute added = api.find("POST", "/api/v1/new-thing").orElseThrow();
    api.replace(
        added, added.takes(JsonSchema.object("id", JsonSchema.STRING)).returns(JsonSchema.OBJECT));
    assertThat(api.undescribed()).isEmpty();
  }

  /** The schema for {@code status} of an operation, with the Problem reference resolved. */
  private JsonNode responseSchema(String method, String path, int status, String contentType) {
    JsonNode op = doc.path("paths").path(path).path(method.toLowerCase(Locale.ROOT));
    assertThat(op.isMissingNode()).as(method + " " + path + " is documented").isFalse();
    JsonNode response = op.path("responses").path(String.valueOf(status));
    assertThat(response.isMissingNode())
        .as(method + " " + path + " documents status " + status)
        .isFalse();
    JsonNode content = response.path("content");
    JsonNode schema =
        content.has(contentType)
            ? content.path(contentType).path("schema")
            : content.elements().next().path("schema");
    return resolve(schema);
  }

  private JsonNode resolve(JsonNode schema) {
    String ref = schema.path("$ref").asText("");
    if (ref.startsWith("#/components/schemas/")) {
      return doc.path("components")
          .path("schemas")
          .path(ref.substring("#/components/schemas/".length()));
    }
    return schema;
  }

  private Set<ValidationMessage> errors(JsonNode schema, JsonNode value) {
    return factory.getSchema(schema, config).validate(value);
  }

  /**
   * Sends a request (its JSON body checked against the request schema first) and checks the answer
   * against the response schema for its status; answers the reply.
   */
  private TestServers.Reply check(
      String method, String template, String path, String contentType, String body) {
    if (body != null && "application/json".equals(contentType)) {
      JsonNode schema =
          doc.path("paths")
              .path(template)
              .path(method.toLowerCase(Locale.ROOT))
              .path("requestBody")
              .path("content")
              .path(contentType)
              .path("schema");
      assertThat(schema.isMissingNode()).as(method + " " + template + " request schema").isFalse();
      assertThat(errors(schema, read(body))).as(method + " " + template + " request").isEmpty();
    }
    TestServers.Reply r =
        AasTestSupport.send(base, method, path, contentType, body, TestServers.ADMIN);
    String type = r.contentType().split(";")[0].trim();
    JsonNode schema = responseSchema(method, template, r.status(), type);
    if (type.endsWith("json")) {
      assertThat(errors(schema, read(r.body())))
          .as(method + " " + path + " answered " + r.status() + ": " + r.body())
          .isEmpty();
    } else {
      assertThat(schema.path("type").asText()).isEqualTo("string");
    }
    return r;
  }

  private static JsonNode read(String json) {
    try {
      return TestServers.JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new AssertionError("not JSON: " + json, e);
    }
  }

  private TestServers.Reply check(String method, String path) {
    return check(method, path, path, null, null);
  }

  private TestServers.Reply check(String method, String path, String body) {
    return check(method, path, path, "application/json", body);
  }

  @Test
  void realAnswersValidateAgainstTheDeclaredSchemas() {
    // hosts, flavor groups, flavors, reports
    assertThat(
            check("POST", "/api/v1/hosts", "{\"id\":\"schema-host\",\"connection\":\"nats\"}")
                .status())
        .isEqualTo(201);
    check("GET", "/api/v1/hosts");
    check("GET", "/api/v1/hosts/{id}", "/api/v1/hosts/schema-host", null, null);
    check(
        "GET",
        "/api/v1/hosts/{id}/flavor-groups",
        "/api/v1/hosts/schema-host/flavor-groups",
        null,
        null);
    assertThat(
            check(
                    "POST",
                    "/api/v1/hosts/{id}/attest",
                    "/api/v1/hosts/schema-host/attest",
                    null,
                    null)
                .status())
        .isEqualTo(202);
    assertThat(
            check(
                    "PUT",
                    "/api/v1/flavor-groups/{name}",
                    "/api/v1/flavor-groups/schema-group",
                    "application/json",
                    "{\"PLATFORM\":{\"match_type\":\"ALL_OF\",\"required\":\"REQUIRED\"}}")
                .status())
        .isEqualTo(200);
    check("GET", "/api/v1/flavor-groups/{name}", "/api/v1/flavor-groups/schema-group", null, null);
    check("GET", "/api/v1/flavor-groups");
    check(
        "PUT",
        "/api/v1/hosts/{id}/flavor-groups/{name}",
        "/api/v1/hosts/schema-host/flavor-groups/schema-group",
        null,
        null);
    check("GET", "/api/v1/flavors");
    check("GET", "/api/v1/reports", "/api/v1/reports?host=schema-host", null, null);

    // policies
    assertThat(
            check("PUT", "/api/v1/policies/{id}", "/api/v1/policies/schema-policy", YAML, POLICY)
                .status())
        .isEqualTo(200);
    check("GET", "/api/v1/policies/{id}", "/api/v1/policies/schema-policy", null, null);
    check("GET", "/api/v1/policies/{id}", "/api/v1/policies/default-tpm", null, null);
    check("GET", "/api/v1/policies");
    check(
        "POST",
        "/api/v1/policies/test",
        "{\"policy\":" + quote(POLICY) + ",\"claims\":{\"sample.debug\":true}}");

    // reference values
    check(
        "POST",
        "/api/v1/reference-values",
        "{\"version\":\"0.1.0\",\"type\":\"sample\",\"payload\":{\"sample.svn\":[\"3\"]}}");
    check("GET", "/api/v1/reference-values");
    check(
        "GET",
        "/api/v1/reference-values/{name}",
        "/api/v1/reference-values/sample.svn",
        null,
        null);

    // accounts, roles, keys, login
    check(
        "POST",
        "/api/v1/users",
        "{\"name\":\"schema-user\",\"roles\":[\"reader\"],\"password\":\"schema-password-0123\"}");
    check("GET", "/api/v1/users");
    check("GET", "/api/v1/roles");
    check("POST", "/api/v1/apikeys", "{\"account\":\"schema-user\",\"label\":\"ci\"}");
    check("GET", "/api/v1/apikeys");
    check(
        "POST",
        "/api/v1/auth/token",
        "{\"username\":\"schema-user\",\"password\":\"schema-password-0123\"}");

    // the attestation service on real swtpm evidence: a signed token with its claims
    assertThat(
            check(
                    "POST",
                    "/api/v1/attest",
                    "{\"tee\":\"tpm\",\"evidence\":\""
                        + java.util.Base64.getEncoder()
                            .encodeToString(dev.vouch.server.TpmVectors.bundle())
                        + "\",\"nonce\":\""
                        + dev.vouch.core.bytes.Hex.encode(dev.vouch.server.TpmVectors.nonce())
                        + "\"}")
                .status())
        .isEqualTo(200);

    // CMS, KBS, AS, audit
    check("POST", "/api/v1/cms/bootstrap-tokens", "{\"host_id\":\"schema-host\"}");
    check("GET", "/api/v1/cms/certificates");
    check("GET", "/api/v1/cms/ca");
    check("GET", "/api/v1/resources");
    check("POST", "/kbs/v0/auth", "{\"version\":\"0.4.0\",\"tee\":\"tpm\",\"extra-params\":\"\"}");
    check("GET", "/api/v1/jwks");
    check("GET", "/api/v1/runtime-policies");
    check("GET", "/api/v1/audit");
    check("GET", "/api/v1/audit/checkpoint");

    // problems have their documented shape too
    assertThat(
            check("GET", "/api/v1/hosts/{id}", "/api/v1/hosts/no-such-host", null, null).status())
        .isEqualTo(404);
    assertThat(
            check("POST", "/api/v1/hosts", "{\"id\":\"not a host id!\",\"connection\":\"nats\"}")
                .status())
        .isEqualTo(400);
    // the KBS refuses with Trustee's error document, as its routes declare
    assertThat(
            AasTestSupport.send(
                    base,
                    "POST",
                    "/kbs/v0/auth",
                    "application/json",
                    "{\"version\":\"0.4.0\"}",
                    null)
                .status())
        .isEqualTo(400);
    assertThat(
            errors(
                responseSchema("POST", "/kbs/v0/auth", 400, "application/json"),
                read(
                    AasTestSupport.send(
                            base,
                            "POST",
                            "/kbs/v0/auth",
                            "application/json",
                            "{\"version\":\"0.4.0\",\"tee\":\"sample\",\"extra-params\":\"\"}",
                            null)
                        .body())))
        .isEmpty();
  }

  @Test
  void theValidatorRefusesAnAnswerThatDiffersFromItsSchema() {
    TestServers.Reply r = check("GET", "/api/v1/policies");
    JsonNode schema = responseSchema("GET", "/api/v1/policies", 200, "application/json");
    ObjectNode missing = (ObjectNode) read(r.body());
    missing.remove("builtin");
    assertThat(errors(schema, missing)).isNotEmpty();
    ObjectNode wrongType = (ObjectNode) read(r.body());
    wrongType.put("policies", "not a list");
    assertThat(errors(schema, wrongType)).isNotEmpty();
    // a date-time that is not one is caught: formats are asserted
    JsonNode users = read(check("GET", "/api/v1/users").body());
    ((ObjectNode) users.path("users").get(0)).put("created", "yesterday");
    assertThat(errors(responseSchema("GET", "/api/v1/users", 200, "application/json"), users))
        .isNotEmpty();
  }

  static final Path PAGE = Path.of("../docs/api.md");

  /**
   * docs/api.md is the served document in prose: every route with its permission, request and
   * response bodies sketched from their schemas. Run with {@code -Dvouch.docs.write=true} to
   * rewrite it.
   */
  @Test
  void theApiReferenceIsTheDocumentAsItIsNow() throws Exception {
    String generated = reference(doc);
    if (Boolean.getBoolean("vouch.docs.write")) {
      java.nio.file.Files.writeString(PAGE, generated);
    }
    assertThat(java.nio.file.Files.readString(PAGE))
        .as("docs/api.md is stale: rerun OpenApiSchemasTest with -Dvouch.docs.write=true")
        .isEqualTo(generated);
  }

  static String reference(JsonNode doc) {
    StringBuilder b = new StringBuilder();
    b.append("# HTTP API reference\n\n")
        .append("<!-- generated by OpenApiSchemasTest from /api/v1/openapi.json; do not edit: run")
        .append(" the test with -Dvouch.docs.write=true -->\n\n")
        .append("Every route `vouch server` serves with every service on, as")
        .append(" `GET /api/v1/openapi.json` (OpenAPI 3.1) describes it. Bodies are sketched from")
        .append(" their JSON Schemas: `name?` is optional, `a | b` either, `[x]` a list,")
        .append(" `{NAME: x}` an object keyed by data; objects may gain members. Errors are")
        .append(
            " `application/problem+json` (`{type, title, status, detail?}`), on `/kbs/` Trustee's")
        .append(" `{type, detail}`.\n");
    doc.path("paths")
        .properties()
        .forEach(
            path ->
                path.getValue()
                    .properties()
                    .forEach(
                        op -> {
                          JsonNode o = op.getValue();
                          b.append("\n## `")
                              .append(op.getKey().toUpperCase(Locale.ROOT))
                              .append(' ')
                              .append(path.getKey())
                              .append("`\n\n")
                              .append(o.path("summary").asText())
                              .append("\n\n");
                          String permission = o.path("x-vouch-permission").asText("");
                          b.append("Access: ")
                              .append(
                                  !permission.isEmpty()
                                      ? "`" + permission + "`"
                                      : o.has("security") ? "KBS admin JWT" : "public")
                              .append("\n");
                          o.path("requestBody")
                              .path("content")
                              .properties()
                              .forEach(
                                  c ->
                                      b.append("\nRequest (`")
                                          .append(c.getKey())
                                          .append("`):\n\n```\n")
                                          .append(sketch(c.getValue().path("schema")))
                                          .append("\n```\n"));
                          List<String> errors = new ArrayList<>();
                          o.path("responses")
                              .properties()
                              .forEach(
                                  r -> {
                                    if (r.getKey().startsWith("4") || r.getKey().startsWith("5")) {
                                      errors.add(r.getKey());
                                      return;
                                    }
                                    b.append("\nResponse ").append(r.getKey());
                                    if (r.getValue().path("content").isEmpty()) {
                                      b.append(": no body\n");
                                    }
                                    r.getValue()
                                        .path("content")
                                        .properties()
                                        .forEach(
                                            c ->
                                                b.append(" (`")
                                                    .append(c.getKey())
                                                    .append("`):\n\n```\n")
                                                    .append(sketch(c.getValue().path("schema")))
                                                    .append("\n```\n"));
                                  });
                          if (!errors.isEmpty()) {
                            b.append("\nErrors: ").append(String.join(", ", errors)).append("\n");
                          }
                        }));
    return b.toString();
  }

  /** A schema in one line: the shape a reader needs, not every keyword. */
  static String sketch(JsonNode s) {
    if (s.has("$ref")) {
      return s.get("$ref").asText().replaceFirst(".*/", "");
    }
    if (s.has("anyOf")) {
      List<String> alts = new ArrayList<>();
      s.get("anyOf").forEach(a -> alts.add(sketch(a)));
      return String.join(" | ", alts);
    }
    if (s.has("enum")) {
      List<String> vals = new ArrayList<>();
      s.get("enum").forEach(v -> vals.add('"' + v.asText() + '"'));
      return String.join("|", vals);
    }
    String type = s.path("type").asText("");
    String text =
        switch (type) {
          case "array" -> "[" + sketch(s.path("items")) + "]";
          case "object" -> {
            if (s.has("additionalProperties")) {
              yield "{NAME: " + sketch(s.get("additionalProperties")) + "}";
            }
            if (!s.has("properties")) {
              yield "object";
            }
            java.util.Set<String> required = new java.util.HashSet<>();
            s.path("required").forEach(r -> required.add(r.asText()));
            List<String> members = new ArrayList<>();
            s.get("properties")
                .properties()
                .forEach(
                    p ->
                        members.add(
                            p.getKey()
                                + (required.contains(p.getKey()) ? "" : "?")
                                + ": "
                                + sketch(p.getValue())));
            yield "{" + String.join(", ", members) + "}";
          }
          case "string" -> s.has("format") ? s.get("format").asText() : "string";
          case "" -> "any";
          default -> type;
        };
    return s.has("description") && !type.equals("object") && !type.equals("array")
        ? text + " (" + s.get("description").asText() + ")"
        : text;
  }

  private static String quote(String s) {
    try {
      return TestServers.JSON.writeValueAsString(s);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new AssertionError(e);
    }
  }
}
