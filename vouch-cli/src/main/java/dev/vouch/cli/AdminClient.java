package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.server.http.Problem;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The one HTTP client every admin verb ({@code vouch host|flavor|report ...}) talks to a Vouch
 * server with. It sends the admin token as a bearer token, and turns every answer that is not a
 * success into a {@link CallFailed} carrying the CLI exit code it means:
 *
 * <ul>
 *   <li>4xx, including 401 for a wrong or missing token: 2, the request was refused as given;
 *   <li>422 (the host's evidence failed verification): 1;
 *   <li>5xx, an unreachable server, TLS trouble or a timeout: 3.
 * </ul>
 *
 * Failures before an answer say which problem it is, since the fixes differ: {@code tls-untrusted}
 * (the server answered but its certificate does not chain to what this client trusts: a trust
 * problem, fixed with {@code --cacert}), {@code tls-failed} (another TLS problem), {@code timeout},
 * and {@code connection-failed} (nothing reachable at that address).
 */
final class AdminClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  // making flavors waits for a quote from the host's agent, which has its own timeout
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(120);
  private static final int MAX_SHOWN_BODY = 200;

  private final String base;
  private final Optional<String> token;
  private final HttpClient http;

  AdminClient(URI server, Optional<String> token, HttpClient http) {
    this.base = server.toString().replaceAll("/+$", "");
    this.token = token;
    this.http = http;
  }

  /** A successful answer. */
  record Answer(int status, byte[] body) {
    JsonNode json() throws CallFailed {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new CallFailed(ExitCodes.INTERNAL, status, "bad-answer", "not JSON: " + e);
      }
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * A call that did not succeed.
   *
   * @see #exitCode()
   */
  static final class CallFailed extends Exception {
    private static final long serialVersionUID = 1L;
    private final int exitCode;
    private final int status;
    private final String code;
    private final String detail;

    CallFailed(int exitCode, int status, String code, String detail) {
      super(code + ": " + detail, null, false, false);
      this.exitCode = exitCode;
      this.status = status;
      this.code = code;
      this.detail = detail;
    }

    /** The CLI exit code this failure means. */
    int exitCode() {
      return exitCode;
    }

    /** {@code error: <code>: <detail>}, the line shown to the user. */
    String line() {
      return "error: " + code + ": " + detail;
    }

    /** The failure as the single JSON document of {@code --json}. */
    Map<String, Object> toJson() {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("status", status == 0 ? null : status);
      e.put("code", code);
      e.put("detail", detail);
      return Map.of("error", e);
    }
  }

  Answer get(String path) throws CallFailed {
    return send(request(path).GET());
  }

  Answer delete(String path) throws CallFailed {
    return send(request(path).DELETE());
  }

  Answer post(String path, byte[] json) throws CallFailed {
    return send(
        request(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(json)));
  }

  /** POSTs bytes as they are (a KBS resource value). */
  Answer postBytes(String path, byte[] body) throws CallFailed {
    return send(
        request(path)
            .header("Content-Type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  Answer put(String path, byte[] json) throws CallFailed {
    return send(
        request(path)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofByteArray(json)));
  }

  /** Serialises a request body. */
  static byte[] json(Object body) {
    try {
      return JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException("a map of plain values always serialises", e);
    }
  }

  /** One path segment or query value, percent-encoded. */
  static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(REQUEST_TIMEOUT)
            .header("Accept", "application/json, application/problem+json, */*");
    token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
    return b;
  }

  private Answer send(HttpRequest.Builder b) throws CallFailed {
    HttpResponse<byte[]> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw connectionProblem(base, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CallFailed(ExitCodes.INTERNAL, 0, "interrupted", "the call was interrupted");
    }
    int status = r.statusCode();
    if (status >= 200 && status < 300) {
      return new Answer(status, r.body());
    }
    throw refused(status, r.body());
  }

  private static CallFailed refused(int status, byte[] body) {
    int exit =
        status == 422
            ? ExitCodes.FAILED
            : status >= 400 && status < 500 ? ExitCodes.BAD_INPUT : ExitCodes.INTERNAL;
    try {
      JsonNode p = JSON.readTree(body);
      if (p != null && p.path("type").isTextual()) {
        String type = p.path("type").asText();
        String code =
            type.startsWith(Problem.TYPE_PREFIX)
                ? type.substring(Problem.TYPE_PREFIX.length())
                : type;
        String detail = p.path("detail").asText(p.path("title").asText(""));
        return new CallFailed(exit, status, code, detail);
      }
    } catch (IOException e) {
      // not a problem document: show the start of what came back
    }
    String text = new String(body, StandardCharsets.UTF_8).strip();
    if (text.length() > MAX_SHOWN_BODY) {
      text = text.substring(0, MAX_SHOWN_BODY) + "...";
    }
    return new CallFailed(exit, status, "http-" + status, text.isEmpty() ? "(no body)" : text);
  }

  /** Names the kind of problem: trust, other TLS trouble, timeout or reachability. */
  static CallFailed connectionProblem(String base, IOException e) {
    if (untrusted(e)) {
      return new CallFailed(
          ExitCodes.INTERNAL,
          0,
          "tls-untrusted",
          base
              + ": the server is reachable but its TLS certificate is not trusted ("
              + describe(e)
              + "); give the certificate it chains to with --cacert PEM or $"
              + AdminOptions.CACERT_ENV
              + " (a self-signed server's is <data_dir>/tls/server.crt)");
    }
    if (tls(e)) {
      return new CallFailed(
          ExitCodes.INTERNAL, 0, "tls-failed", base + ": TLS handshake failed: " + describe(e));
    }
    if (causedBy(e, java.net.http.HttpTimeoutException.class)) {
      return new CallFailed(
          ExitCodes.INTERNAL, 0, "timeout", base + ": no answer in time: " + describe(e));
    }
    return new CallFailed(
        ExitCodes.INTERNAL, 0, "connection-failed", base + ": unreachable: " + describe(e));
  }

  private static boolean untrusted(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.security.cert.CertificateException
          || t instanceof java.security.cert.CertPathBuilderException
          || t instanceof java.security.cert.CertPathValidatorException
          || (t.getMessage() != null
              && (t.getMessage().contains("PKIX path")
                  || t.getMessage().contains("unable to find valid certification path")))) {
        return true;
      }
    }
    return false;
  }

  private static boolean tls(Throwable e) {
    return causedBy(e, javax.net.ssl.SSLException.class);
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static String describe(IOException e) {
    // ConnectException and HttpTimeoutException often carry no message of their own
    Throwable t = e;
    while (t.getMessage() == null && t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
