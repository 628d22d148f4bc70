package dev.vouch.server.kbs;

import static dev.vouch.server.http.JsonSchema.*;

import dev.vouch.server.aas.Permission;
import dev.vouch.server.http.Json;
import dev.vouch.server.http.Routes;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/v1/resources}: the KBS resource paths for the admin API's credentials (the
 * console's), as {@code resources:read} grants; Trustee's {@code /kbs/v0/resource} listing keeps
 * taking the KBS admin JWT. Names only: values stay sealed and leave only in a JWE to an attested
 * TEE key.
 */
public final class ResourceNameRoutes {
  private final ResourceStore store;

  public ResourceNameRoutes(ResourceStore store) {
    this.store = store;
  }

  public void register(Routes r) {
    r.admin(
            Permission.RESOURCES_READ,
            "GET",
            "/api/v1/resources",
            "KBS resource paths (repository/type/tag), never values",
            null,
            "application/json",
            List.of(200, 401, 403),
            ctx ->
                Json.write(
                    ctx,
                    200,
                    Map.of(
                        "resources", store.list().stream().map(ResourcePath::toString).toList())))
        .returns(object("resources", arrayOf(STRING)));
  }
}
