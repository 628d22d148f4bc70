package dev.vouch.server.http;

import dev.vouch.server.aas.Aas;
import dev.vouch.server.aas.AuthException;
import dev.vouch.server.aas.Permission;
import dev.vouch.server.aas.Principal;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admin API authorization through the AAS: each admin route is wrapped with the {@link Permission}
 * it needs. A request without a valid admin JWT or API key is answered 401 (problem {@code
 * unauthorized} with a {@code reason}), one whose roles lack the permission 403 ({@code forbidden}
 * naming the permission). Refusals are logged with the route and reason, never the credential.
 */
public final class AdminAuth {
  /** The context attribute under which a guarded handler finds its {@link Principal}. */
  public static final String PRINCIPAL = "vouch.principal";

  private static final Logger LOG = LoggerFactory.getLogger(AdminAuth.class);
  private final Aas aas;

  public AdminAuth(Aas aas) {
    this.aas = aas;
  }

  public Aas aas() {
    return aas;
  }

  /** Wraps {@code h} so that it runs only for a caller holding {@code needed}. */
  public Handler guard(Permission needed, Handler h) {
    Objects.requireNonNull(needed, "an admin route needs a permission");
    return ctx -> {
      Principal p = check(ctx, needed);
      ctx.attribute(PRINCIPAL, p);
      h.handle(ctx);
    };
  }

  /** The caller, when it holds {@code needed}; else a 401 or 403 problem. */
  public Principal check(Context ctx, Permission needed) {
    Principal p = authenticate(ctx);
    if (!p.may(needed)) {
      LOG.info(
          "admin request forbidden account={} route={} {} needs={}",
          p.account(),
          ctx.method(),
          ctx.path(),
          needed);
      throw Problem.of(
              403,
              "forbidden",
              "Permission missing",
              "this route needs '" + needed.value() + "', which the caller's roles do not grant")
          .with("permission", needed.value())
          .exception();
    }
    return p;
  }

  /** The caller, or a 401 problem. */
  public Principal authenticate(Context ctx) {
    try {
      return aas.authenticate(bearer(ctx));
    } catch (AuthException e) {
      LOG.info(
          "admin request refused route={} {} address={} reason={}",
          ctx.method(),
          ctx.path(),
          ctx.ip(),
          e.reason().wire());
      throw unauthorized(ctx, e);
    }
  }

  /** The bearer credential, or null. */
  public static String bearer(Context ctx) {
    String auth = ctx.header("Authorization");
    if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return auth.substring(7).strip();
  }

  /** The problem for an authentication refusal (401, or 429 with Retry-After). */
  public static Problem.ProblemException unauthorized(Context ctx, AuthException e) {
    if (e.reason() == AuthException.Reason.RATE_LIMITED) {
      long s = Math.max(1, e.retryAfter().map(d -> (d.toMillis() + 999) / 1000).orElse(1L));
      ctx.header("Retry-After", String.valueOf(s));
      return Problem.of(429, "rate-limited", "Too many failed logins", e.getMessage())
          .with("retry_after_seconds", s)
          .exception();
    }
    ctx.header("WWW-Authenticate", "Bearer realm=\"vouch-admin\"");
    return Problem.of(
            401,
            "unauthorized",
            "Admin authentication required",
            e.getMessage()
                + "; send a token from POST /api/v1/auth/token or an API key as"
                + " 'Authorization: Bearer <token>'")
        .with("reason", e.reason().wire())
        .exception();
  }
}
