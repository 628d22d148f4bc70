package dev.vouch.server.kbs;

import static dev.vouch.server.http.JsonSchema.*;

import dev.vouch.server.http.ApiRoute;
import dev.vouch.server.http.ClientRateLimiter;
import dev.vouch.server.http.JsonSchema;
import dev.vouch.server.http.RouteGroup;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;

/**
 * The KBS's HTTP routes under {@code /kbs/v0}, Trustee's protocol 0.4.0 field for field:
 *
 * <ul>
 *   <li>{@code POST /kbs/v0/auth}: Request in, Challenge out, {@code Set-Cookie: kbs-session-id}
 *   <li>{@code POST /kbs/v0/attest}: Attestation in (with the cookie), {@code {"token": ...}} out
 *   <li>{@code GET /kbs/v0/resource/{repository}/{type}/{tag}}: the resource as a flattened JWE
 *       (cookie of an attested session, or {@code Authorization: Bearer <token>})
 *   <li>admin (Authorization: Bearer admin JWT): {@code POST}/{@code DELETE} the same path (raw
 *       bytes in), {@code GET /kbs/v0/resource} (paths only), {@code POST}/{@code GET
 *       /kbs/v0/resource-policy}
 * </ul>
 *
 * Errors are {@code {"type": ".../errors/<Kind>", "detail": ...}} with the status of the {@link
 * KbsError.Kind}. Handlers only decode and encode; {@link KbsService} decides.
 */
public final class KbsRoutes implements RouteGroup {
  private static final String JSON = "application/json";
  private static final String RESOURCE = "/kbs/v0/resource";
  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

  private static final String RESOURCE_PATH = RESOURCE + "/{repository}/{type}/{tag}";

  /**
   * The KBS routes as the server's OpenAPI document lists them. Their errors use Trustee's shape,
   * and "admin" here means the KBS admin JWT, not the server's admin token.
   */
  /** Trustee answers these with 200 and nothing in the body. */
  private static final JsonSchema NO_BODY = text("empty: 200 with no body, as Trustee answers");

  public static final List<ApiRoute> DOCUMENTED =
      List.of(
          new ApiRoute(
                  "POST",
                  "/kbs/v0/auth",
                  "KBS handshake: Request -> Challenge (nonce); sets the kbs-session-id cookie",
                  false,
                  JSON,
                  JSON,
                  List.of(200, 400, 429))
              .takes(object("version", STRING, "tee", STRING, "extra-params", ANY))
              .returns(object("nonce", STRING, "extra-params", ANY)),
          new ApiRoute(
                  "POST",
                  "/kbs/v0/attest",
                  "KBS handshake: Attestation (TEE key and evidence bound to the nonce) -> token",
                  false,
                  JSON,
                  JSON,
                  List.of(200, 400, 401, 413, 429))
              .takes(
                  object(
                      "runtime-data", object("nonce", STRING, "tee-pubkey", OBJECT),
                      "tee-evidence", ANY,
                      "init-data?", ANY))
              .returns(object("token", text("EAR JWT"))),
          new ApiRoute(
                  "GET",
                  RESOURCE_PATH,
                  "A resource as a JWE to the TEE key (session cookie or bearer attestation token)",
                  false,
                  null,
                  JSON,
                  List.of(200, 400, 401, 403, 404))
              .returns(
                  object(
                          "protected", STRING,
                          "encrypted_key", STRING,
                          "iv", STRING,
                          "ciphertext", STRING,
                          "tag", STRING)
                      .describedAs("JWE JSON serialization to the TEE key")),
          new ApiRoute(
                  "POST",
                  RESOURCE_PATH,
                  "Store a resource (KBS admin JWT)",
                  true,
                  "application/octet-stream",
                  JSON,
                  List.of(200, 400, 401))
              .takes(text("the resource value, raw bytes"))
              .returns(NO_BODY),
          new ApiRoute(
                  "DELETE",
                  RESOURCE_PATH,
                  "Delete a resource (KBS admin JWT)",
                  true,
                  null,
                  JSON,
                  List.of(200, 401, 404))
              .returns(NO_BODY),
          new ApiRoute(
                  "GET",
                  RESOURCE,
                  "List resource paths, never values (KBS admin JWT)",
                  true,
                  null,
                  JSON,
                  List.of(200, 401))
              .returns(arrayOf(text("repository/type/tag"))),
          new ApiRoute(
                  "POST",
                  "/kbs/v0/resource-policy",
                  "Set the CEL resource release policy (KBS admin JWT)",
                  true,
                  "text/plain",
                  JSON,
                  List.of(200, 400, 401))
              .takes(object("policy", text("base64url of the CEL resource policy")))
              .returns(NO_BODY),
          new ApiRoute(
                  "GET",
                  "/kbs/v0/resource-policy",
                  "The resource policy ids, [\"resource-policy\"], as Trustee lists them (KBS admin"
                      + " JWT)",
                  true,
                  null,
                  JSON,
                  List.of(200, 401))
              .returns(arrayOf(STRING)),
          new ApiRoute(
                  "GET",
                  "/kbs/v0/resource-policy/{id}",
                  "The resource policy in force as {\"policy\": base64url} (KBS admin JWT)",
                  true,
                  null,
                  JSON,
                  List.of(200, 401))
              .returns(object("policy", text("base64url of the policy"))),
          new ApiRoute(
                  "POST",
                  "/kbs/v0/attestation-policy",
                  "Store an attestation policy: {type, policy_id, policy: base64url} (KBS admin JWT)",
                  true,
                  JSON,
                  JSON,
                  List.of(200, 401))
              .takes(object("type?", STRING, "policy_id", STRING, "policy", text("base64url")))
              .returns(NO_BODY),
          new ApiRoute(
                  "GET",
                  "/kbs/v0/attestation-policy",
                  "Attestation policy ids as [{\"policy-id\": id}] (KBS admin JWT)",
                  true,
                  null,
                  JSON,
                  List.of(200, 401))
              .returns(arrayOf(object("policy-id", STRING))),
          new ApiRoute(
                  "GET",
                  "/kbs/v0/attestation-policy/{id}",
                  "One attestation policy document (KBS admin JWT)",
                  true,
                  null,
                  "text/plain",
                  List.of(200, 401))
              .returns(text("the policy document")),
          new ApiRoute(
                  "POST",
                  "/kbs/v0/reference-value",
                  "Register reference values from an RVPS message (KBS admin JWT)",
                  true,
                  JSON,
                  JSON,
                  List.of(200, 401))
              .takes(object("version", STRING, "type", STRING, "payload", ANY))
              .returns(NO_BODY),
          new ApiRoute(
                  "GET",
                  "/kbs/v0/reference-value/{id}",
                  "One reference value's accepted values (KBS admin JWT)",
                  true,
                  null,
                  JSON,
                  List.of(200, 401))
              .returns(arrayOf(ANY)));

  private final KbsService kbs;
  private final ClientRateLimiter authLimiter;
  private final ClientRateLimiter attestLimiter;
  // resource reads get their own bucket at the attest rate: a guest fetches a few per attestation
  private final ClientRateLimiter resourceLimiter;
  private final Optional<KbsAdminApi> asAdmin;

  /** Routes for this broker, limiting each client as its configuration says. */
  public KbsRoutes(KbsService kbs) {
    this(kbs, Optional.empty());
  }

  /**
   * Routes for this broker and, when given, Trustee's attestation-policy and reference-value admin
   * routes.
   */
  public KbsRoutes(KbsService kbs, Optional<KbsAdminApi> asAdmin) {
    this.kbs = kbs;
    this.asAdmin = asAdmin;
    this.authLimiter = new ClientRateLimiter(kbs.config().authLimit());
    this.attestLimiter = new ClientRateLimiter(kbs.config().attestLimit());
    this.resourceLimiter = new ClientRateLimiter(kbs.config().attestLimit());
  }

  @Override
  public void register(JavalinConfig config) {
    config.routes.post("/kbs/v0/auth", this::auth);
    config.routes.post("/kbs/v0/attest", this::attest);
    config.routes.get(RESOURCE, ctx -> json(ctx, kbs.listResources(authorization(ctx))));
    // one wildcard route per method: the path is validated here, so ".." or a fourth segment
    // gets a 400 from the KBS rather than a routing miss
    config.routes.get(RESOURCE + "/<path>", this::getResource);
    config.routes.post(
        RESOURCE + "/<path>",
        ctx -> {
          ResourcePath path = ResourcePath.parse(ctx.pathParam("path"));
          kbs.putResource(authorization(ctx), path, body(ctx));
          ctx.status(200);
        });
    config.routes.delete(
        RESOURCE + "/<path>",
        ctx -> {
          kbs.deleteResource(authorization(ctx), ResourcePath.parse(ctx.pathParam("path")));
          ctx.status(200);
        });
    config.routes.post(
        "/kbs/v0/resource-policy",
        ctx -> {
          kbs.setPolicy(authorization(ctx), body(ctx));
          ctx.status(200);
        });
    config.routes.get(
        "/kbs/v0/resource-policy", ctx -> json(ctx, kbs.listPolicies(authorization(ctx))));
    config.routes.get(
        "/kbs/v0/resource-policy/{id}",
        ctx -> json(ctx, kbs.getPolicy(authorization(ctx), ctx.pathParam("id"))));
    asAdmin.ifPresent(
        a -> {
          config.routes.post(
              "/kbs/v0/attestation-policy",
              ctx -> {
                a.setAttestationPolicy(authorization(ctx), body(ctx));
                ctx.status(200);
              });
          config.routes.get(
              "/kbs/v0/attestation-policy",
              ctx -> json(ctx, a.listAttestationPolicies(authorization(ctx))));
          config.routes.get(
              "/kbs/v0/attestation-policy/{id}",
              ctx ->
                  ctx.status(200)
                      .contentType("text/plain; charset=utf-8")
                      .result(a.attestationPolicy(authorization(ctx), ctx.pathParam("id"))));
          config.routes.post(
              "/kbs/v0/reference-value",
              ctx -> {
                a.registerReferenceValues(authorization(ctx), body(ctx));
                ctx.status(200).contentType(JSON);
              });
          config.routes.get(
              "/kbs/v0/reference-value/<id>",
              ctx -> json(ctx, a.referenceValue(authorization(ctx), ctx.pathParam("id"))));
        });
    // anything else under /kbs/v0 is, in Trustee's terms, a plugin this KBS does not have;
    // registered last so that every route above matches first
    for (String method : List.of("GET", "POST", "PUT", "DELETE")) {
      io.javalin.http.Handler notFound =
          ctx -> {
            throw new KbsError(
                KbsError.Kind.PluginNotFound,
                "Plugin " + abbreviate(ctx.pathParam("rest").split("/", 2)[0]) + " not found");
          };
      switch (method) {
        case "GET" -> config.routes.get("/kbs/v0/<rest>", notFound);
        case "POST" -> config.routes.post("/kbs/v0/<rest>", notFound);
        case "PUT" -> config.routes.put("/kbs/v0/<rest>", notFound);
        default -> config.routes.delete("/kbs/v0/<rest>", notFound);
      }
    }
    config.routes.exception(
        KbsError.class,
        (e, ctx) ->
            retryAfter(ctx, e)
                .status(e.status())
                .contentType(JSON)
                .result(
                    "{\"type\":"
                        + quote(e.kind().type())
                        + ",\"detail\":"
                        + quote(e.detail())
                        + "}"));
  }

  private void auth(Context ctx) throws KbsError {
    limit(authLimiter, ctx, "/auth");
    KbsService.Challenge c = kbs.auth(body(ctx));
    setCookie(ctx, c.sessionId(), c.expiresAt());
    json(ctx, c.json());
  }

  private void attest(Context ctx) throws KbsError {
    limit(attestLimiter, ctx, "/attest");
    KbsService.Attested a =
        kbs.attest(Optional.ofNullable(ctx.cookie(KbsConfig.SESSION_COOKIE)), body(ctx));
    setCookie(ctx, a.sessionId(), a.expiresAt());
    json(ctx, a.json());
  }

  private void getResource(Context ctx) throws KbsError {
    limit(resourceLimiter, ctx, "/resource");
    ResourcePath path = ResourcePath.parse(ctx.pathParam("path"));
    json(
        ctx,
        kbs.resource(
            Optional.ofNullable(ctx.cookie(KbsConfig.SESSION_COOKIE)), authorization(ctx), path));
  }

  /**
   * Refuses the request before its body is read when the client (its TCP peer address) has used up
   * its rate on this endpoint.
   */
  private static void limit(ClientRateLimiter limiter, Context ctx, String endpoint)
      throws KbsError {
    Optional<Duration> wait = limiter.acquire(ctx.req().getRemoteAddr());
    if (wait.isPresent()) {
      throw new KbsError(
          KbsError.Kind.TooManyRequests,
          "too many " + endpoint + " requests from this client; retry later",
          wait);
    }
  }

  private static Context retryAfter(Context ctx, KbsError e) {
    // whole seconds, rounded up, at least one: RFC 9110 delay-seconds
    e.retryAfter()
        .ifPresent(
            d ->
                ctx.header(
                    "Retry-After",
                    Long.toString(Math.max(1, (d.toNanos() + 999_999_999L) / 1_000_000_000L))));
    return ctx;
  }

  private static Optional<String> authorization(Context ctx) {
    return Optional.ofNullable(ctx.header("Authorization"));
  }

  private static void json(Context ctx, String body) {
    ctx.status(200).contentType(JSON).result(body);
  }

  private static void setCookie(Context ctx, String id, Instant expires) {
    long maxAge = Math.max(0, Duration.between(Instant.now(), expires).toSeconds());
    ctx.header(
        "Set-Cookie",
        KbsConfig.SESSION_COOKIE
            + "="
            + id
            + "; Path=/; HttpOnly; Max-Age="
            + maxAge
            + "; Expires="
            + HTTP_DATE.format(expires));
  }

  /**
   * Reads the body up to the configured limit; a larger body is read and discarded (up to a bound)
   * and refused, so that the client reads the refusal rather than a reset.
   */
  private byte[] body(Context ctx) throws KbsError {
    int max = kbs.config().maxRequestBytes();
    long declared = ctx.req().getContentLengthLong();
    if (declared > max) {
      dev.vouch.server.http.OverLimitBody.discard(ctx, declared, max);
      throw tooLarge(declared, max);
    }
    try (InputStream in = ctx.req().getInputStream()) {
      byte[] b = in.readNBytes(max + 1);
      if (b.length > max) {
        dev.vouch.server.http.OverLimitBody.discard(ctx, declared, max);
        throw tooLarge(b.length, max);
      }
      return b;
    } catch (IOException e) {
      throw new KbsError(KbsError.Kind.SerdeError, "cannot read the request body");
    }
  }

  private static KbsError tooLarge(long size, int max) {
    return new KbsError(
        KbsError.Kind.PayloadTooLarge,
        "request of " + size + (size > max ? "+" : "") + " bytes exceeds the limit of " + max);
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
