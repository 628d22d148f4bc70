package dev.vouch.server.http;

import dev.vouch.core.Failure;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An RFC 9457 problem document ({@code application/problem+json}). {@code type} is a stable URI
 * {@code https://vouch.dev/problems/<code>}; verification failures use the kebab-case {@link
 * Failure} code (e.g. {@code report-data-mismatch}) and also carry it as {@code code}.
 *
 * @param code the stable short code, e.g. {@code malformed-json}
 * @param status the HTTP status
 * @param title a short summary that does not change between occurrences
 * @param detail what went wrong this time
 * @param extensions further members (e.g. {@code line}, {@code column})
 */
public record Problem(
    String code, int status, String title, String detail, Map<String, Object> extensions) {

  /** The prefix of every problem type URI. */
  public static final String TYPE_PREFIX = "https://vouch.dev/problems/";

  public Problem {
    extensions = Map.copyOf(extensions);
  }

  public static Problem of(int status, String code, String title, String detail) {
    return new Problem(code, status, title, detail, Map.of());
  }

  /** 422 for evidence or a message that failed verification. */
  public static Problem verification(Failure failure, String detail) {
    return new Problem(
        failure.code().toLowerCase(Locale.ROOT).replace('_', '-'),
        422,
        failure.description(),
        detail,
        Map.of("failure", failure.code()));
  }

  public String type() {
    return TYPE_PREFIX + code;
  }

  /** The JSON members in RFC 9457 order, then the extensions. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type());
    m.put("title", title);
    m.put("status", status);
    m.put("detail", detail);
    m.putAll(extensions);
    return m;
  }

  /** The same problem with one more member. */
  public Problem with(String name, Object value) {
    Map<String, Object> m = new LinkedHashMap<>(extensions);
    m.put(name, value);
    return new Problem(code, status, title, detail, m);
  }

  /** Throws out of a handler to answer with this problem. */
  public ProblemException exception() {
    return new ProblemException(this);
  }

  /** Carries a {@link Problem} out of a handler. */
  public static final class ProblemException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Problem problem;

    public ProblemException(Problem problem) {
      super(problem.code() + ": " + problem.detail(), null, false, false);
      this.problem = problem;
    }

    public Problem problem() {
      return problem;
    }
  }

  public static ProblemException badRequest(String code, String detail) {
    return of(400, code, "The request is invalid", detail).exception();
  }

  public static ProblemException notFound(String detail) {
    return of(404, "not-found", "No such resource", detail).exception();
  }
}
