package dev.vouch.server.aas;

import static dev.vouch.server.http.JsonSchema.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.server.http.AdminAuth;
import dev.vouch.server.http.Json;
import dev.vouch.server.http.JsonSchema;
import dev.vouch.server.http.Problem;
import dev.vouch.server.http.Routes;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The AAS over HTTP: {@code POST /api/v1/auth/token} (password login, public, rate limited per
 * account and address), {@code POST /api/v1/auth/revoke} (holding a token is the authority to
 * revoke it), and the admin routes for accounts, roles and API keys. Handlers decode, call {@link
 * Aas} and map its refusals; no checks live here.
 */
public final class AasRoutes {
  private static final String JSON = "application/json";
  private final Aas aas;

  public AasRoutes(Aas aas) {
    this.aas = aas;
  }

  private static final JsonSchema ACCOUNT =
      object(
          "name", STRING,
          "kind", oneOf("user", "service"),
          "roles", arrayOf(STRING),
          "disabled", BOOLEAN,
          "created", DATE_TIME);
  private static final JsonSchema ROLE =
      object("name", STRING, "builtin", BOOLEAN, "permissions", arrayOf(STRING));
  private static final JsonSchema API_KEY =
      object(
          "id", STRING,
          "account", STRING,
          "label", STRING,
          "created", DATE_TIME,
          "revoked", nullable(DATE_TIME));

  public void register(Routes r) {

    r.open(
            "POST",
            "/api/v1/auth/token",
            "Log in: {username, password} -> {token, expires_in} (an ES384 admin JWT)",
            JSON,
            JSON,
            List.of(200, 400, 401, 429),
            this::token)
        .takes(object("username", STRING, "password", STRING))
        .returns(object("token", STRING, "expires_in", INTEGER, "token_type", oneOf("Bearer")));
    r.open(
            "POST",
            "/api/v1/auth/revoke",
            "Revoke an admin JWT on every replica: {token} (or the bearer token when absent)",
            JSON,
            JSON,
            List.of(200, 400, 401),
            this::revoke)
        .takes(object("token?", STRING))
        .returns(object("revoked", BOOLEAN));
    r.admin(
            Permission.USERS_READ,
            "GET",
            "/api/v1/users",
            "Users and service accounts",
            null,
            JSON,
            List.of(200, 401, 403),
            ctx ->
                Json.write(
                    ctx,
                    200,
                    Map.of(
                        "users", aas.store().accounts().stream().map(AasRoutes::account).toList())))
        .returns(object("users", arrayOf(ACCOUNT)));
    r.admin(
            Permission.USERS_WRITE,
            "POST",
            "/api/v1/users",
            "Add a user or service account: {name, roles, password?, kind?: user|service}; a generated"
                + " password is shown once",
            JSON,
            JSON,
            List.of(201, 400, 401, 403, 409),
            this::addUser)
        .takes(
            object(
                "name",
                STRING,
                "roles",
                arrayOf(STRING),
                "password?",
                STRING,
                "kind?",
                oneOf("user", "service")))
        .returns(ACCOUNT.and("password?", STRING));
    r.admin(
            Permission.USERS_READ,
            "GET",
            "/api/v1/users/{name}",
            "One account",
            null,
            JSON,
            List.of(200, 401, 403, 404),
            ctx ->
                Json.write(
                    ctx,
                    200,
                    account(
                        aas.store()
                            .account(ctx.pathParam("name"))
                            .orElseThrow(
                                () -> Problem.notFound("no account " + ctx.pathParam("name"))))))
        .returns(ACCOUNT);
    for (boolean disable : new boolean[] {true, false}) {
      r.admin(
              Permission.USERS_WRITE,
              "POST",
              "/api/v1/users/{name}/" + (disable ? "disable" : "enable"),
              disable
                  ? "Disable an account: its logins, tokens and API keys are refused at once"
                  : "Enable a disabled account",
              null,
              JSON,
              List.of(200, 401, 403, 404),
              ctx -> setDisabled(ctx, disable))
          .returns(ACCOUNT);
    }
    r.admin(
        Permission.USERS_WRITE,
        "DELETE",
        "/api/v1/users/{name}",
        "Delete an account and its API keys",
        null,
        JSON,
        List.of(204, 400, 401, 403, 404),
        this::deleteUser);
    r.admin(
            Permission.ROLES_READ,
            "GET",
            "/api/v1/roles",
            "Built-in and custom roles with their permissions",
            null,
            JSON,
            List.of(200, 401, 403),
            ctx ->
                Json.write(
                    ctx, 200, Map.of("roles", aas.roles().stream().map(AasRoutes::role).toList())))
        .returns(object("roles", arrayOf(ROLE)));
    r.admin(
            Permission.ROLES_WRITE,
            "PUT",
            "/api/v1/roles/{name}",
            "Create or replace a custom role: {permissions: [resource:action, ...]}",
            JSON,
            JSON,
            List.of(200, 400, 401, 403, 409),
            this::putRole)
        .takes(object("permissions", arrayOf(STRING)))
        .returns(ROLE);
    r.admin(
        Permission.ROLES_WRITE,
        "DELETE",
        "/api/v1/roles/{name}",
        "Delete a custom role (accounts holding it lose its permissions)",
        null,
        JSON,
        List.of(204, 401, 403, 404, 409),
        this::deleteRole);
    r.admin(
            Permission.APIKEYS_READ,
            "GET",
            "/api/v1/apikeys",
            "API keys (?account=NAME), never the keys themselves",
            null,
            JSON,
            List.of(200, 401, 403),
            ctx ->
                Json.write(
                    ctx,
                    200,
                    Map.of(
                        "apikeys",
                        aas.store().apiKeys(Optional.ofNullable(ctx.queryParam("account"))).stream()
                            .map(AasRoutes::apiKey)
                            .toList())))
        .returns(object("apikeys", arrayOf(API_KEY)));
    r.admin(
            Permission.APIKEYS_WRITE,
            "POST",
            "/api/v1/apikeys",
            "Create an API key: {account, label?}; the key is in the answer and nowhere else",
            JSON,
            JSON,
            List.of(201, 400, 401, 403),
            this::createApiKey)
        .takes(object("account", STRING, "label?", STRING))
        .returns(API_KEY.and("key", STRING));
    r.admin(
        Permission.APIKEYS_WRITE,
        "DELETE",
        "/api/v1/apikeys/{id}",
        "Revoke an API key",
        null,
        JSON,
        List.of(204, 401, 403, 404),
        ctx -> {
          if (!aas.revokeApiKey(ctx.pathParam("id"))) {
            throw Problem.notFound("no unrevoked API key " + ctx.pathParam("id"));
          }
          ctx.status(204);
        });
  }

  /** The request attribute holding the user name a login request gave. */
  public static final String LOGIN_USER = "vouch.login.user";

  private void token(Context ctx) {
    JsonNode body = Json.object(ctx);
    Json.onlyFields(body, Set.of("username", "password"), "a login");
    String user = Json.text(body, "username");
    // the audit log names who tried to log in, whatever the outcome
    ctx.attribute(LOGIN_USER, user);
    char[] pw = Json.text(body, "password").toCharArray();
    if (pw.length > PasswordHash.MAX_PASSWORD_CHARS) {
      throw Problem.badRequest("bad-request", "the password is too long");
    }
    AdminTokens.Issued t;
    try {
      t = aas.login(user, pw, ctx.ip());
    } catch (AuthException e) {
      throw AdminAuth.unauthorized(ctx, e);
    } finally {
      java.util.Arrays.fill(pw, '\0');
    }
    Json.write(
        ctx,
        200,
        Map.of(
            "token",
            t.token(),
            "expires_in",
            aas.tokenLifetime().toSeconds(),
            "token_type",
            "Bearer"));
  }

  private void revoke(Context ctx) {
    String token = AdminAuth.bearer(ctx);
    if (ctx.bodyAsBytes().length > 0) {
      JsonNode body = Json.object(ctx);
      Json.onlyFields(body, Set.of("token"), "a revocation");
      token = Json.text(body, "token");
    }
    if (token == null || token.isBlank()) {
      throw Problem.badRequest("bad-request", "give {\"token\": ...} or a bearer token");
    }
    try {
      aas.revoke(token.strip());
    } catch (AuthException e) {
      throw AdminAuth.unauthorized(ctx, e);
    }
    Json.write(ctx, 200, Map.of("revoked", true));
  }

  private void addUser(Context ctx) {
    JsonNode body = Json.object(ctx);
    Json.onlyFields(body, Set.of("name", "roles", "password", "kind"), "an account");
    String name = Json.text(body, "name");
    Account.Kind kind =
        switch (body.has("kind") ? Json.text(body, "kind") : "user") {
          case "user" -> Account.Kind.USER;
          case "service" -> Account.Kind.SERVICE;
          default -> throw Problem.badRequest("bad-request", "kind must be 'user' or 'service'");
        };
    Optional<String> pw =
        body.has("password") ? Optional.of(Json.text(body, "password")) : Optional.empty();
    Aas.CreatedAccount a = call(() -> aas.addAccount(name, kind, texts(body, "roles"), pw));
    Map<String, Object> out = account(a.account());
    a.generatedPassword().ifPresent(p -> out.put("password", p));
    Json.write(ctx, 201, out);
  }

  private void setDisabled(Context ctx, boolean disabled) {
    String name = ctx.pathParam("name");
    if (!aas.store().setDisabled(name, disabled)) {
      throw Problem.notFound("no account " + name);
    }
    Json.write(ctx, 200, account(aas.store().account(name).orElseThrow()));
  }

  private void deleteUser(Context ctx) {
    String name = ctx.pathParam("name");
    Principal me = ctx.attribute(AdminAuth.PRINCIPAL);
    if (me != null && name.equals(me.account())) {
      throw Problem.badRequest("bad-request", "an account cannot delete itself");
    }
    if (!aas.store().delete(name)) {
      throw Problem.notFound("no account " + name);
    }
    ctx.status(204);
  }

  private void putRole(Context ctx) {
    JsonNode body = Json.object(ctx);
    Json.onlyFields(body, Set.of("permissions"), "a role");
    Role role = call(() -> aas.putRole(ctx.pathParam("name"), texts(body, "permissions")));
    Json.write(ctx, 200, role(role));
  }

  private void deleteRole(Context ctx) {
    String name = ctx.pathParam("name");
    if (Role.BUILT_IN.containsKey(name)) {
      throw Problem.of(409, "conflict", "Built-in role", "'" + name + "' cannot be deleted")
          .exception();
    }
    if (!aas.store().deleteRole(name)) {
      throw Problem.notFound("no custom role " + name);
    }
    ctx.status(204);
  }

  private void createApiKey(Context ctx) {
    JsonNode body = Json.object(ctx);
    Json.onlyFields(body, Set.of("account", "label"), "an API key");
    String account = Json.text(body, "account");
    String label = body.has("label") ? Json.text(body, "label") : "";
    Aas.CreatedKey k = call(() -> aas.createApiKey(account, label));
    Map<String, Object> out = apiKey(k.key());
    out.put("key", k.secret());
    Json.write(ctx, 201, out);
  }

  /** Maps the service's bad-input and conflict exceptions to 400 and 409. */
  private static <T> T call(java.util.function.Supplier<T> s) {
    try {
      return s.get();
    } catch (IllegalArgumentException e) {
      throw Problem.badRequest("bad-request", e.getMessage());
    } catch (IllegalStateException e) {
      throw Problem.of(409, "conflict", "Conflict", e.getMessage()).exception();
    }
  }

  private static List<String> texts(JsonNode body, String field) {
    JsonNode n = body.get(field);
    if (n == null || !n.isArray()) {
      throw Problem.badRequest("bad-request", "'" + field + "' must be a list of names");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw Problem.badRequest("bad-request", "'" + field + "' must hold text only");
      }
      out.add(e.textValue());
    }
    return out;
  }

  private static Map<String, Object> account(Account a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", a.name());
    m.put("kind", a.kind().name().toLowerCase(java.util.Locale.ROOT));
    m.put("roles", a.roles());
    m.put("disabled", a.disabled());
    m.put("created", a.created().toString());
    return m;
  }

  private static Map<String, Object> role(Role r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", r.name());
    m.put("builtin", r.builtIn());
    m.put("permissions", r.permissions().stream().map(Permission::value).sorted().toList());
    return m;
  }

  private static Map<String, Object> apiKey(ApiKey k) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", k.id());
    m.put("account", k.account());
    m.put("label", k.label());
    m.put("created", k.created().toString());
    m.put("revoked", k.revoked().map(Object::toString).orElse(null));
    return m;
  }
}
