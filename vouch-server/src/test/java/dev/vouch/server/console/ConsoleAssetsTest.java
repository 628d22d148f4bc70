package dev.vouch.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.server.TestServers;
import dev.vouch.server.http.VouchServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's files over plain HTTP, without a browser: what is served and how, that the page
 * loads nothing from elsewhere, and that every API call the script makes is a documented admin
 * route.
 */
class ConsoleAssetsTest {
  @TempDir Path dir;
  private VouchServer server;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    server = VouchServer.start(TestServers.plain(dir));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(server.baseUri().resolve(path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theFilesAreServedWithTheirTypesAndAStrictContentSecurityPolicy() throws Exception {
    Map<String, String> expected =
        Map.of(
            "/console", "text/html",
            "/console/", "text/html",
            "/console/console.js", "text/javascript",
            "/console/console.css", "text/css");
    for (var e : expected.entrySet()) {
      HttpResponse<String> r = get(e.getKey());
      assertThat(r.statusCode()).as(e.getKey()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type").orElseThrow())
          .as(e.getKey())
          .startsWith(e.getValue());
      String csp = r.headers().firstValue("Content-Security-Policy").orElseThrow();
      assertThat(csp).contains("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'");
      assertThat(csp).doesNotContain("unsafe-inline", "unsafe-eval");
      assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
      assertThat(r.body()).isNotBlank();
    }
  }

  @Test
  void nothingElseUnderConsoleIsServed() throws Exception {
    for (String p : List.of("/console/other.js", "/console/ConsoleRoutes.class", "/console/x")) {
      HttpResponse<String> r = get(p);
      assertThat(r.statusCode()).as(p).isEqualTo(404);
      assertThat(r.headers().firstValue("Content-Type").orElseThrow())
          .startsWith("application/problem+json");
    }
  }

  @Test
  void thePageLoadsOnlyItsOwnFilesAndNoInlineCode() throws Exception {
    String page = get("/console").body();
    List<String> refs = new ArrayList<>();
    Matcher m = Pattern.compile("(?:src|href)=\"([^\"]*)\"").matcher(page);
    while (m.find()) {
      refs.add(m.group(1));
    }
    assertThat(refs).contains("/console/console.js", "/console/console.css");
    for (String ref : refs) {
      assertThat(ref).as("reference in the page").matches("/console/[a-z]+\\.(js|css)|#.*");
    }
    // inline script or style would be refused by the policy; there must be none to refuse
    assertThat(page).doesNotContainPattern("<script(?![^>]*\\bsrc=)").doesNotContain("style=");
    assertThat(page).doesNotContainPattern("\\son[a-z]+=");
    String js = get("/console/console.js").body();
    assertThat(js).doesNotContain("innerHTML", "eval(", "http://", "https://");
  }

  private static final List<String> AUTH_ROUTES =
      List.of("/api/v1/auth/token", "/api/v1/auth/revoke");

  @Test
  void everyApiCallOfTheScriptIsADocumentedAdminRoute() throws Exception {
    String js = get("/console/console.js").body();
    // the script builds its paths from these prefixes; any other API path is a new call this
    // test must learn about
    Matcher m = Pattern.compile("/api/v1/[a-z/-]*").matcher(js);
    List<String> prefixes = new ArrayList<>();
    while (m.find()) {
      prefixes.add(m.group());
    }
    List<String> known =
        List.of(
            "/api/v1/hosts",
            "/api/v1/hosts/",
            "/api/v1/flavors",
            "/api/v1/flavor-groups",
            "/api/v1/policies",
            "/api/v1/policies/",
            "/api/v1/policies/test",
            "/api/v1/reference-values",
            "/api/v1/reference-values/",
            "/api/v1/resources",
            "/api/v1/reports/",
            "/api/v1/audit");
    assertThat(prefixes).isNotEmpty().allMatch(p -> known.contains(p) || AUTH_ROUTES.contains(p));
    assertThat(js).contains("`/api/v1/hosts/${encodeURIComponent(id)}/${kind}`");
    assertThat(js).contains("hostAction(\"attest\")", "hostAction(\"onboard\")");

    JsonNode doc =
        TestServers.JSON.readTree(
            http.send(
                    HttpRequest.newBuilder(URI.create(server.baseUri() + "/api/v1/openapi.json"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    Map<String, String> calls =
        Map.ofEntries(
            Map.entry("/api/v1/hosts", "get"),
            Map.entry("/api/v1/hosts/{id}", "get"),
            Map.entry("/api/v1/hosts/{id}/attest", "post"),
            Map.entry("/api/v1/hosts/{id}/onboard", "post"),
            Map.entry("/api/v1/flavors", "get"),
            Map.entry("/api/v1/flavor-groups", "get"),
            Map.entry("/api/v1/policies", "get"),
            Map.entry("/api/v1/policies/{id}", "get"),
            Map.entry("/api/v1/policies/test", "post"),
            Map.entry("/api/v1/reference-values", "get"),
            Map.entry("/api/v1/reference-values/{name}", "get"),
            Map.entry("/api/v1/resources", "get"),
            Map.entry("/api/v1/reports/{id}", "get"),
            Map.entry("/api/v1/audit", "get"));
    // the AAS's own login and revocation: public routes, documented as such
    for (String auth : AUTH_ROUTES) {
      assertThat(js).contains("\"" + auth + "\"");
      JsonNode op = doc.path("paths").path(auth).path("post");
      assertThat(op.isMissingNode()).as("post " + auth).isFalse();
      assertThat(op.has("security")).as(auth + " is public").isFalse();
    }
    // the policy upload stores a version with the same path's PUT
    assertThat(js).contains("\"/api/v1/policies/\" + encodeURIComponent(id), \"PUT\"");
    assertThat(doc.at("/paths/~1api~1v1~1policies~1{id}/put/x-vouch-permission").asText())
        .isEqualTo("policies:write");
    for (var c : calls.entrySet()) {
      JsonNode op = doc.path("paths").path(c.getKey()).path(c.getValue());
      assertThat(op.isMissingNode()).as(c.getValue() + " " + c.getKey()).isFalse();
      assertThat(op.path("security").isArray() && !op.path("security").isEmpty())
          .as("admin token required by " + c.getKey())
          .isTrue();
    }
  }
}
