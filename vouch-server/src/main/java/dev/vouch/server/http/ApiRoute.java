package dev.vouch.server.http;

import dev.vouch.server.aas.Permission;
import java.util.List;
import java.util.Optional;

/**
 * One documented route of the HTTP API, as listed in the OpenAPI document.
 *
 * @param method {@code GET}, {@code POST}, {@code PUT} or {@code DELETE}
 * @param path the path with {@code {name}} parameters, e.g. {@code /api/v1/policies/{id}}
 * @param summary one line for the reader
 * @param admin whether the route needs an admin credential
 * @param requestType the request media type, or {@code null} for none
 * @param responseType the success media type
 * @param statuses the statuses it answers with (success first)
 * @param permission the AAS permission an admin route needs; empty for public routes and for the
 *     KBS admin routes, which take Trustee's admin-key JWTs instead
 */
public record ApiRoute(
    String method,
    String path,
    String summary,
    boolean admin,
    String requestType,
    String responseType,
    List<Integer> statuses,
    Optional<Permission> permission) {

  public ApiRoute {
    statuses = List.copyOf(statuses);
    if (permission.isPresent() && !admin) {
      throw new IllegalArgumentException(path + ": a public route needs no permission");
    }
  }

  /** A route documented without an AAS permission (public, or KBS admin-key routes). */
  public ApiRoute(
      String method,
      String path,
      String summary,
      boolean admin,
      String requestType,
      String responseType,
      List<Integer> statuses) {
    this(method, path, summary, admin, requestType, responseType, statuses, Optional.empty());
  }
}
