package dev.vouch.server.console;

import dev.vouch.server.http.Problem;
import dev.vouch.server.http.RouteGroup;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The web console at {@code /console}: three static files (page, one ES module, style sheet) read
 * from the classpath. The page holds no secret and needs none to load; every call it makes goes to
 * the JSON API with the admin bearer token the operator pastes, so the console can do nothing the
 * API would refuse the same token.
 */
public final class ConsoleRoutes implements RouteGroup {

  /** The console's files and their media types; nothing else under /console is served. */
  static final Map<String, String> FILES =
      Map.of(
          "index.html", "text/html; charset=utf-8",
          "console.js", "text/javascript; charset=utf-8",
          "console.css", "text/css; charset=utf-8");

  /**
   * Same-origin only, no inline script or style, no framing: the page shows data from hosts
   * (reasons, ids) that must never run as code, and it must not be framed to trick a click on
   * "onboard".
   */
  static final String CSP =
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
          + " img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

  private static final String BASE = "/dev/vouch/server/console/";

  @Override
  public void register(JavalinConfig config) {
    // Javalin matches /console/ here too (trailing slashes are ignored), so the page names its
    // files by absolute path rather than relative to whichever of the two was asked for
    config.routes.get("/console", ctx -> serve(ctx, "index.html"));
    config.routes.get(
        "/console/{file}",
        ctx -> {
          String file = ctx.pathParam("file");
          if (!FILES.containsKey(file)) {
            throw Problem.notFound("no console file '" + file + "'");
          }
          serve(ctx, file);
        });
  }

  private static void serve(Context ctx, String file) {
    byte[] body;
    try (InputStream in = ConsoleRoutes.class.getResourceAsStream(BASE + file)) {
      if (in == null) {
        throw new IllegalStateException("console resource missing from the build: " + file);
      }
      body = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ctx.header("Content-Security-Policy", CSP);
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Referrer-Policy", "no-referrer");
    // the assets are small and change with the server build; always revalidating keeps an
    // upgraded server from running an old script against a new API
    ctx.header("Cache-Control", "no-cache");
    ctx.contentType(FILES.get(file));
    ctx.result(body);
  }
}
