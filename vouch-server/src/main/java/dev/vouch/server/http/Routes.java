package dev.vouch.server.http;

import dev.vouch.server.aas.Permission;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Handler;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Registers routes on a Javalin config and lists each in the {@link OpenApi} document in the same
 * call, so that the document cannot miss a route added this way. An admin route cannot be added
 * without the {@link Permission} it needs: the guard and the document's {@code x-vouch-permission}
 * both come from that one argument. Each route's body schemas follow it in the same statement
 * ({@link #takes}, {@link #returns}); a route left without them is listed by {@link
 * OpenApi#undescribed()}, which a test keeps empty.
 */
public final class Routes {
  private final JavalinConfig config;
  private final OpenApi api;
  private final AdminAuth admin;
  private ApiRoute last;

  public Routes(JavalinConfig config, OpenApi api, AdminAuth admin) {
    this.config = config;
    this.api = api;
    this.admin = admin;
  }

  /** A public route. */
  public Routes open(
      String method,
      String path,
      String summary,
      String requestType,
      String responseType,
      List<Integer> statuses,
      Handler h) {
    return add(new ApiRoute(method, path, summary, false, requestType, responseType, statuses), h);
  }

  /** A route for callers whose roles grant {@code needed} (401 without a credential, else 403). */
  public Routes admin(
      Permission needed,
      String method,
      String path,
      String summary,
      String requestType,
      String responseType,
      List<Integer> statuses,
      Handler h) {
    Objects.requireNonNull(needed, "an admin route needs a permission");
    return add(
        new ApiRoute(
            method, path, summary, true, requestType, responseType, statuses, Optional.of(needed)),
        admin.guard(needed, h));
  }

  private Routes add(ApiRoute r, Handler h) {
    switch (r.method()) {
      case "GET" -> config.routes.get(r.path(), h);
      case "POST" -> config.routes.post(r.path(), h);
      case "PUT" -> config.routes.put(r.path(), h);
      case "DELETE" -> config.routes.delete(r.path(), h);
      default -> throw new IllegalArgumentException("method " + r.method());
    }
    api.add(r);
    last = r;
    return this;
  }

  /** Gives the route added last the schema of its request body (one line after the route). */
  public Routes takes(JsonSchema schema) {
    last = api.replace(last, last.takes(schema));
    return this;
  }

  /** Gives the route added last the schema of its success body (one line after the route). */
  public Routes returns(JsonSchema schema) {
    last = api.replace(last, last.returns(schema));
    return this;
  }
}
