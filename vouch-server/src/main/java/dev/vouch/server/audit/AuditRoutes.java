package dev.vouch.server.audit;

import static dev.vouch.server.http.JsonSchema.*;

import dev.vouch.policy.audit.AuditEntry;
import dev.vouch.policy.audit.AuditRecord;
import dev.vouch.server.aas.Permission;
import dev.vouch.server.http.AdminAuth;
import dev.vouch.server.http.ApiRoute;
import dev.vouch.server.http.Json;
import dev.vouch.server.http.OpenApi;
import dev.vouch.server.http.Problem;
import dev.vouch.server.http.Routes;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The audit log over HTTP ({@code GET /api/v1/audit}, its export and a signed checkpoint) and the
 * after-handler that records every admin change, every refused admin request, every secret release
 * and every attestation verdict answered over HTTP.
 */
public final class AuditRoutes {
  private static final int MAX_PAGE = 1000;
  private static final Set<String> WRITES = Set.of("POST", "PUT", "DELETE", "PATCH");

  private final AuditLog log;

  public AuditRoutes(AuditLog log) {
    this.log = log;
  }

  public void register(Routes r) {
    r.admin(
            Permission.AUDIT_READ,
            "GET",
            "/api/v1/audit",
            "Audit records, oldest first; filters actor, action, target, since, until (ISO-8601),"
                + " after (record number), limit (1-1000, 100 by default)",
            null,
            "application/json",
            List.of(200, 400, 401),
            this::list)
        .returns(
            object(
                "records",
                arrayOf(
                    object(
                        "seq", INTEGER,
                        "at", DATE_TIME,
                        "actor", STRING,
                        "action", STRING,
                        "target", STRING,
                        "outcome", STRING,
                        "request_id", nullable(STRING),
                        "source", nullable(STRING),
                        "detail", nullable(STRING),
                        "prev", STRING,
                        "hash", STRING)),
                "next_after",
                nullable(INTEGER)));
    r.admin(
            Permission.AUDIT_READ,
            "GET",
            "/api/v1/audit/export",
            "The whole audit log as JSON lines, ending with its signed checkpoints (vouch audit"
                + " verify checks it)",
            null,
            "application/x-ndjson",
            List.of(200, 401),
            this::export)
        .returns(text("JSON lines: one audit record each, then the signed checkpoints"));
    r.admin(
            Permission.AUDIT_READ,
            "GET",
            "/api/v1/audit/checkpoint",
            "A checkpoint signing the audit log's current head with the reporting key",
            null,
            "application/json",
            List.of(200, 401),
            ctx -> Json.write(ctx, 200, Map.of("checkpoint", log.checkpoint())))
        .returns(object("checkpoint", text("compact JWS over the log's head")));
  }

  private void list(Context ctx) {
    int limit = intParam(ctx, "limit", 100);
    if (limit < 1 || limit > MAX_PAGE) {
      throw Problem.badRequest("bad-query", "limit must be between 1 and " + MAX_PAGE);
    }
    long after = intParam(ctx, "after", 0);
    if (after < 0) {
      throw Problem.badRequest("bad-query", "after must not be negative");
    }
    List<AuditRecord> records =
        log.list(
            new AuditLog.Query(
                ctx.queryParam("actor"),
                ctx.queryParam("action"),
                ctx.queryParam("target"),
                instantParam(ctx, "since"),
                instantParam(ctx, "until"),
                after,
                limit));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("records", records.stream().map(AuditRecord::toJson).toList());
    body.put("next_after", records.size() == limit ? records.get(records.size() - 1).seq() : null);
    Json.write(ctx, 200, body);
  }

  private void export(Context ctx) {
    ctx.status(200).contentType("application/x-ndjson");
    try {
      OutputStream out = ctx.outputStream();
      log.export(
          line -> {
            try {
              out.write(line.getBytes(StandardCharsets.UTF_8));
              out.write('\n');
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int intParam(Context ctx, String name, int dflt) {
    String v = ctx.queryParam(name);
    if (v == null) {
      return dflt;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw Problem.badRequest("bad-query", name + " must be an integer");
    }
  }

  private static Instant instantParam(Context ctx, String name) {
    String v = ctx.queryParam(name);
    try {
      return v == null ? null : Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw Problem.badRequest("bad-query", name + " must be an ISO-8601 instant");
    }
  }

  /**
   * An after-handler recording, from the matched route, admin writes and admin refusals, secret
   * releases and attestation verdicts. Reads and public routes are not recorded.
   */
  public static Handler recorder(OpenApi api, AuditLog log) {
    return ctx -> {
      String route;
      try {
        io.javalin.router.Endpoint matched = ctx.endpoints().matchedHttpEndpoint();
        if (matched == null) {
          return;
        }
        route = matched.path;
      } catch (RuntimeException e) {
        return;
      }
      String method = ctx.method().name();
      String action = action(api, method, route, ctx.statusCode());
      if (action == null) {
        return;
      }
      int status = ctx.statusCode();
      String outcome =
          status < 400 ? "success" : status == 401 || status == 403 ? "denied" : "failure";
      Object who = ctx.attribute(AdminAuth.PRINCIPAL);
      String actor =
          who instanceof dev.vouch.server.aas.Principal p
              ? p.account()
              : route.startsWith("/api/") ? "admin" : "attester";
      if (ctx.attribute(dev.vouch.server.aas.AasRoutes.LOGIN_USER) instanceof String user) {
        actor = user;
      } else if (status == 401) {
        actor = "anonymous";
      }
      log.record(
          new AuditEntry(
              actor,
              action,
              method + " " + ctx.path(),
              outcome,
              ctx.header("X-Request-Id"),
              ctx.ip(),
              "status " + status));
    };
  }

  private static String action(OpenApi api, String method, String route, int status) {
    if (route.equals("/api/v1/auth/token")) {
      return "auth.login";
    }
    if (route.equals("/api/v1/auth/revoke")) {
      return "auth.revoke";
    }
    if (route.startsWith("/kbs/v0/resource/") && method.equals("GET")) {
      return "kbs.release";
    }
    if (route.equals("/kbs/v0/attest")
        || route.equals("/api/v1/attest")
        || route.startsWith("/attestation")) {
      return "attestation.verdict";
    }
    Optional<ApiRoute> documented = api.find(method, route);
    if (documented.isPresent() && documented.get().admin()) {
      if (WRITES.contains(method)) {
        return "admin.change";
      }
      return status == 401 || status == 403 ? "admin.refused" : null;
    }
    if (route.startsWith("/kbs/v0/") && WRITES.contains(method)) {
      // Trustee's admin verbs (resource, policies, reference values) are KBS routes
      return route.equals("/kbs/v0/auth") ? null : "admin.change";
    }
    return null;
  }
}
