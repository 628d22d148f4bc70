package dev.vouch.server.aas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.server.TestServers;
import dev.vouch.server.http.ApiRoute;
import dev.vouch.server.http.OpenApi;
import dev.vouch.server.http.Routes;
import dev.vouch.server.http.VouchServer;
import io.javalin.Javalin;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance matrix of issue 14, generated from the server's own route table: for every
 * built-in role, exactly the admin routes its permissions allow answer other than 401/403, every
 * other admin route 403 naming the permission; without a credential every admin route is 401. An
 * admin route without a permission cannot be registered, and one listed without it fails here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RoleMatrixTest {
  private static final String PASSWORD = "matrix-password-0123";
  @TempDir static Path dir;
  private VouchServer server;
  private URI base;
  private final Map<String, String> tokens = new LinkedHashMap<>();

  @BeforeAll
  void start() throws Exception {
    server = VouchServer.start(AasTestSupport.withBootstrapPassword(TestServers.plain(dir)));
    base = server.baseUri();
    for (String role : Role.BUILT_IN.keySet()) {
      AasTestSupport.addUser(base, "u-" + role, PASSWORD, role);
      tokens.put(role, AasTestSupport.login(base, "u-" + role, PASSWORD));
    }
  }

  @AfterAll
  void stop() {
    server.close();
  }

  /** Every admin route under /api/v1; the KBS admin routes take Trustee's admin-key JWTs. */
  private List<ApiRoute> adminRoutes() {
    List<ApiRoute> rs =
        server.services().openApi().routes().stream()
            .filter(ApiRoute::admin)
            .filter(r -> !r.path().startsWith("/kbs/"))
            .toList();
    assertThat(rs).hasSizeGreaterThan(30);
    return rs;
  }

  /** The admin routes (outside the KBS's Trustee-key routes) that name no permission. */
  static List<ApiRoute> unguarded(List<ApiRoute> routes) {
    return routes.stream()
        .filter(ApiRoute::admin)
        .filter(r -> !r.path().startsWith("/kbs/"))
        .filter(r -> r.permission().isEmpty())
        .toList();
  }

  @Test
  void everyAdminRouteNamesItsPermissionInTheTableAndTheDocument() {
    assertThat(unguarded(server.services().openApi().routes())).isEmpty();
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Map<String, Object>>> paths =
        (Map<String, Map<String, Map<String, Object>>>)
            server.services().openApi().document().get("paths");
    for (ApiRoute r : adminRoutes()) {
      Map<String, Object> op = paths.get(r.path()).get(r.method().toLowerCase());
      assertThat(op.get("x-vouch-permission"))
          .as(r.method() + " " + r.path())
          .isEqualTo(r.permission().orElseThrow().value());
      assertThat(op.get("security")).isEqualTo(List.of(Map.of("adminToken", List.of())));
      assertThat(op.get("responses").toString()).contains("401=", "403=");
    }
    // the served document says the same
    JsonNode doc =
        AasTestSupport.send(base, "GET", "/api/v1/openapi.json", null, null, null).json();
    assertThat(doc.at("/paths/~1api~1v1~1users/post/x-vouch-permission").asText())
        .isEqualTo("users:write");
  }

  @Test
  void aRouteListedAsAdminWithoutAPermissionIsCaught() {
    ApiRoute sneaky =
        new ApiRoute(
            "GET", "/api/v1/new-thing", "new", true, null, "application/json", List.of(200));
    List<ApiRoute> withNew = new ArrayList<>(server.services().openApi().routes());
    withNew.add(sneaky);
    assertThat(unguarded(withNew)).containsExactly(sneaky);
  }

  @Test
  void anAdminRouteCannotBeRegisteredWithoutAPermission() {
    OpenApi api = new OpenApi("test");
    assertThatThrownBy(
            () ->
                Javalin.create(
                    cfg ->
                        new Routes(cfg, api, server.services().admin())
                            .admin(
                                null,
                                "GET",
                                "/api/v1/new-thing",
                                "new",
                                null,
                                "application/json",
                                List.of(200),
                                ctx -> ctx.result("ok"))))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("permission");
    assertThat(api.routes()).isEmpty();
  }

  @Test
  void eachBuiltInRoleReachesExactlyTheRoutesItsPermissionsAllow() {
    List<String> mismatches = new ArrayList<>();
    int allowedSeen = 0;
    for (ApiRoute r : adminRoutes()) {
      for (Map.Entry<String, String> e : tokens.entrySet()) {
        Role role = Role.BUILT_IN.get(e.getKey());
        boolean allowed = role.allows(r.permission().orElseThrow());
        TestServers.Reply reply = call(r, e.getValue());
        boolean refused = reply.status() == 401 || reply.status() == 403;
        if (allowed == refused) {
          mismatches.add(e.getKey() + " " + r.method() + " " + r.path() + " -> " + reply.status());
        }
        if (allowed) {
          allowedSeen++;
          // the handler itself ran and judged the probe (not found, bad body, done)
          assertThat(reply.status()).as(r.method() + " " + r.path()).isLessThan(500);
        } else if (reply.status() == 403) {
          assertThat(reply.json().get("permission").asText())
              .isEqualTo(r.permission().orElseThrow().value());
          assertThat(reply.contentType()).startsWith("application/problem+json");
        }
      }
    }
    assertThat(mismatches).isEmpty();
    assertThat(allowedSeen).isGreaterThan(adminRoutes().size());
  }

  @Test
  void everyAdminRouteIsRefused401WithoutACredential() {
    for (ApiRoute r : adminRoutes()) {
      TestServers.Reply reply = call(r, null);
      assertThat(reply.status()).as(r.method() + " " + r.path()).isEqualTo(401);
      assertThat(reply.json().get("reason").asText()).isEqualTo("missing");
    }
  }

  @Test
  void theOldAdminTokenIsTheBootstrapAdminsApiKey() {
    TestServers.Reply r =
        AasTestSupport.send(base, "GET", "/api/v1/apikeys", null, null, TestServers.ADMIN);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("apikeys").get(0).get("account").asText()).isEqualTo("admin");
    assertThat(r.body()).doesNotContain(TestServers.ADMIN);
    // and the bootstrap admin logs in with the configured password
    assertThat(AasTestSupport.login(base, "admin", AasTestSupport.BOOTSTRAP_PASSWORD)).isNotBlank();
  }

  private TestServers.Reply call(ApiRoute r, String bearer) {
    String path = r.path().replaceAll("\\{[^}]+}", "matrix-probe");
    String body = r.requestType() == null ? null : "{}";
    return AasTestSupport.send(
        base, r.method(), path, r.requestType(), body, Optional.ofNullable(bearer).orElse(null));
  }
}
