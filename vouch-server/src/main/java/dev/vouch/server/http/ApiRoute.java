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
 * @param request the schema of the request body, for a route that takes one
 * @param response the schema of the success body, for a route that answers one (not 204 alone)
 */
public record ApiRoute(
    String method,
    String path,
    String summary,
    boolean admin,
    String requestType,
    String responseType,
    List<Integer> statuses,
    Optional<Permission> permission,
    Optional<JsonSchema> request,
    Optional<JsonSchema> response) {

  public ApiRoute {
    statuses = List.copyOf(statuses);
    if (permission.isPresent() && !admin) {
      throw new IllegalArgumentException(path + ": a public route needs no permission");
    }
  }

  /** A route whose schemas are yet to be given ({@link #takes}, {@link #returns}). */
  public ApiRoute(
      String method,
      String path,
      String summary,
      boolean admin,
      String requestType,
      String responseType,
      List<Integer> statuses,
      Optional<Permission> permission) {
    this(
        method,
        path,
        summary,
        admin,
        requestType,
        responseType,
        statuses,
        permission,
        Optional.empty(),
        Optional.empty());
  }

  /** This route with the schema of its request body. */
  public ApiRoute takes(JsonSchema schema) {
    return with(Optional.of(schema), response);
  }

  /** This route with the schema of its success body. */
  public ApiRoute returns(JsonSchema schema) {
    return with(request, Optional.of(schema));
  }

  private ApiRoute with(Optional<JsonSchema> req, Optional<JsonSchema> res) {
    return new ApiRoute(
        method, path, summary, admin, requestType, responseType, statuses, permission, req, res);
  }

  /** Whether a success answer has a body (anything but 204 No Content). */
  public boolean answersWithBody() {
    return statuses.stream().anyMatch(s -> s < 400 && s != 204);
  }

  /**
   * What the OpenAPI document lacks for this route: a request schema when it takes a body, a
   * response schema when it answers one. Empty when the route is fully described.
   */
  public List<String> missingSchemas() {
    List<String> missing = new java.util.ArrayList<>();
    if (requestType != null && request.isEmpty()) {
      missing.add("request");
    }
    if (answersWithBody() && response.isEmpty()) {
      missing.add("response");
    }
    return missing;
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
