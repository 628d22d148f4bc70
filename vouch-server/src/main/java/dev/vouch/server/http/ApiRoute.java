package dev.vouch.server.http;

import java.util.List;

/**
 * One documented route of the HTTP API, as listed in the OpenAPI document.
 *
 * @param method {@code GET}, {@code POST}, {@code PUT} or {@code DELETE}
 * @param path the path with {@code {name}} parameters, e.g. {@code /api/v1/policies/{id}}
 * @param summary one line for the reader
 * @param admin whether the admin bearer token is required
 * @param requestType the request media type, or {@code null} for none
 * @param responseType the success media type
 * @param statuses the statuses it answers with (success first)
 */
public record ApiRoute(
    String method,
    String path,
    String summary,
    boolean admin,
    String requestType,
    String responseType,
    List<Integer> statuses) {

  public ApiRoute {
    statuses = List.copyOf(statuses);
  }
}
