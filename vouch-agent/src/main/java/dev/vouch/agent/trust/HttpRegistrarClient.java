package dev.vouch.agent.trust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;

/**
 * Enrolls with a Vouch registrar over HTTP ({@code POST /api/v1/registrar/enrollments}, then {@code
 * .../{challenge_id}/activation}). HTTPS, verified against the given trust anchors or the JDK's
 * default CAs; plain HTTP only to a loopback address (tests, or a sidecar on the same host).
 * Answers are read up to {@link #MAX_RESPONSE} bytes; a refusal becomes a {@link
 * RegistrarException} that carries the problem document's stable code and detail.
 *
 * <p>With a NATS user key ({@link NatsCredentials#publicKey()}) the activation asks for NATS
 * credentials; the registrar's JWT for that key is then {@link #natsJwt()} (empty when the server
 * runs NATS without authentication).
 */
public final class HttpRegistrarClient implements Enrollment.RegistrarClient {
  /** Larger answers are refused: a registrar's answers are a few kilobytes. */
  public static final int MAX_RESPONSE = 256 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ENROLLMENTS = "/api/v1/registrar/enrollments";

  private final URI base;
  private final HttpClient http;
  private final String hostGroup;
  private final String connection;
  private final Duration timeout;
  private final Optional<String> natsUserKey;
  private final java.util.List<String> flavorGroups;
  private final AtomicReference<String> natsJwt = new AtomicReference<>();

  /**
   * @param base the server's base URL, checked with {@link #checkBaseUrl}
   * @param http the client (its TLS context decides which server certificates are accepted)
   * @param hostGroup the host group to ask for
   * @param connection how the manager reaches this agent: {@code nats} or the agent's https URL
   * @param timeout per request
   * @param natsUserKey the agent's public NATS user key to have signed at activation, if any
   */
  public HttpRegistrarClient(
      URI base,
      HttpClient http,
      String hostGroup,
      String connection,
      Duration timeout,
      Optional<String> natsUserKey) {
    this(base, http, hostGroup, connection, timeout, natsUserKey, java.util.List.of());
  }

  /**
   * The same, asking for the host to be judged by {@code flavorGroups} (the server applies them to
   * a host new to it only).
   */
  public HttpRegistrarClient(
      URI base,
      HttpClient http,
      String hostGroup,
      String connection,
      Duration timeout,
      Optional<String> natsUserKey,
      java.util.List<String> flavorGroups) {
    this.natsUserKey = Objects.requireNonNull(natsUserKey, "natsUserKey");
    this.flavorGroups = java.util.List.copyOf(flavorGroups);
    this.base = checkBaseUrl(base.toString());
    this.http = Objects.requireNonNull(http, "http");
    this.hostGroup = Objects.requireNonNull(hostGroup, "hostGroup");
    this.connection = Objects.requireNonNull(connection, "connection");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  /**
   * A client for {@code base}: server certificates must chain to {@code tls}'s anchors when given,
   * else to the JDK's default CAs.
   *
   * @throws IllegalArgumentException for a URL {@link #checkBaseUrl} refuses
   */
  public static HttpRegistrarClient create(
      String base, Optional<SSLContext> tls, String hostGroup, String connection) {
    return create(base, tls, hostGroup, connection, Optional.empty());
  }

  /**
   * As {@link #create(String, Optional, String, String)}, asking at activation for NATS credentials
   * for {@code natsUserKey}.
   */
  public static HttpRegistrarClient create(
      String base,
      Optional<SSLContext> tls,
      String hostGroup,
      String connection,
      Optional<String> natsUserKey) {
    return create(base, tls, hostGroup, connection, natsUserKey, java.util.List.of());
  }

  /** The same, also asking for {@code flavorGroups}. */
  public static HttpRegistrarClient create(
      String base,
      Optional<SSLContext> tls,
      String hostGroup,
      String connection,
      Optional<String> natsUserKey,
      java.util.List<String> flavorGroups) {
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER);
    tls.ifPresent(b::sslContext);
    return new HttpRegistrarClient(
        checkBaseUrl(base),
        b.build(),
        hostGroup,
        connection,
        Duration.ofSeconds(30),
        natsUserKey,
        flavorGroups);
  }

  /**
   * The registrar URL, normalised without a trailing slash.
   *
   * @throws IllegalArgumentException unless it is an absolute {@code https://} URL, or {@code
   *     http://} to a loopback address, without user info, query or fragment
   */
  public static URI checkBaseUrl(String url) {
    URI u;
    try {
      u = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a URL: " + e.getMessage());
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (u.getHost() == null
        || u.getUserInfo() != null
        || u.getQuery() != null
        || u.getFragment() != null
        || !(scheme.equals("https") || scheme.equals("http"))) {
      throw new IllegalArgumentException(
          "the registrar URL must be https://HOST[:PORT] (http only to localhost), not '"
              + url
              + "'");
    }
    if (scheme.equals("http") && !loopback(u.getHost())) {
      // the enrollment itself is not secret, but a forged registrar could misplace the host
      throw new IllegalArgumentException(
          "plain http is only allowed to a loopback registrar; use https for " + u.getHost());
    }
    String s = u.toString();
    return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
  }

  private static boolean loopback(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (!h.matches("[0-9.]+|[0-9a-fA-F:]+")) {
      return false; // never resolve a name to decide: only literal addresses count
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  @Override
  public Enrollment.Challenge begin(String hostId, Enrollment.Material m)
      throws RegistrarException, InterruptedException {
    ObjectNode body = JSON.createObjectNode();
    body.put("host_id", hostId);
    body.put("ek_public", b64(m.ekPublic()));
    body.put("ek_certificate", b64(m.ekCertificate()));
    body.put("ak_public", b64(m.akPublic()));
    body.put("host_group", hostGroup);
    body.put("connection", connection);
    if (!flavorGroups.isEmpty()) {
      flavorGroups.forEach(body.putArray("flavor_groups")::add);
    }
    JsonNode c = post(ENROLLMENTS, body, 201);
    return new Enrollment.Challenge(
        text(c, "challenge_id"), unb64(c, "credential_blob"), unb64(c, "encrypted_secret"));
  }

  @Override
  public void complete(String challengeId, byte[] secret)
      throws RegistrarException, InterruptedException {
    if (!challengeId.matches("[0-9A-Za-z_-]{1,128}")) {
      throw new RegistrarException(0, "", "the registrar sent an unusable challenge id");
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("secret", b64(secret));
    natsUserKey.ifPresent(k -> body.put("nats_user_key", k));
    JsonNode host = post(ENROLLMENTS + "/" + challengeId + "/activation", body, 200);
    JsonNode jwt = host.get("nats_jwt");
    if (jwt != null && !jwt.isTextual()) {
      throw new RegistrarException(0, "", "the registrar's 'nats_jwt' is not text");
    }
    natsJwt.set(jwt == null ? null : jwt.textValue());
  }

  /** The NATS user JWT the last activation returned, if the registrar issued one. */
  public Optional<String> natsJwt() {
    return Optional.ofNullable(natsJwt.get());
  }

  private JsonNode post(String path, ObjectNode body, int expected)
      throws RegistrarException, InterruptedException {
    HttpRequest req;
    try {
      req =
          HttpRequest.newBuilder(URI.create(base + path))
              .timeout(timeout)
              .header("Content-Type", "application/json")
              .header("Accept", "application/json, application/problem+json")
              .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
              .build();
    } catch (IOException e) {
      throw new IllegalStateException("a JSON tree always encodes", e);
    }
    byte[] answer = send(http, req, expected, "registrar at " + base);
    try {
      JsonNode n = JSON.readTree(answer);
      if (n == null || !n.isObject()) {
        throw new RegistrarException(expected, "", "the registrar's answer is not a JSON object");
      }
      return n;
    } catch (IOException e) {
      throw new RegistrarException(expected, "", "the registrar's answer is not JSON");
    }
  }

  /**
   * Sends {@code req} and returns the answer's body when its status is {@code expected}; reads at
   * most {@link #MAX_RESPONSE} bytes. {@code who} names the server in messages.
   *
   * @throws RegistrarException for another status (with the problem's code) or no answer
   */
  static byte[] send(HttpClient http, HttpRequest req, int expected, String who)
      throws RegistrarException, InterruptedException {
    int status;
    byte[] answer;
    try {
      HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
      status = r.statusCode();
      try (InputStream in = r.body()) {
        answer = in.readNBytes(MAX_RESPONSE + 1);
      }
    } catch (IOException e) {
      throw new RegistrarException(who + " unreachable: " + e.getMessage(), e);
    }
    if (answer.length > MAX_RESPONSE) {
      throw new RegistrarException(status, "", who + ": the answer exceeds " + MAX_RESPONSE);
    }
    if (status != expected) {
      throw refusal(who, status, answer);
    }
    return answer;
  }

  private static RegistrarException refusal(String who, int status, byte[] body) {
    String code = "";
    String detail = "HTTP " + status;
    try {
      JsonNode n = JSON.readTree(body);
      if (n != null && n.isObject()) {
        String type = n.path("type").asText("");
        code = type.substring(type.lastIndexOf('/') + 1);
        detail = n.path("detail").asText(n.path("title").asText(detail));
      }
    } catch (IOException e) {
      // not a problem document (a proxy's error page): the status is all there is
    }
    return new RegistrarException(
        status,
        code,
        who + " refused (" + status + (code.isEmpty() ? "" : " " + code) + "): " + detail);
  }

  private static String text(JsonNode n, String field) throws RegistrarException {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new RegistrarException(0, "", "the registrar's answer lacks '" + field + "'");
    }
    return v.textValue();
  }

  private static byte[] unb64(JsonNode n, String field) throws RegistrarException {
    try {
      return Base64.getDecoder().decode(text(n, field));
    } catch (IllegalArgumentException e) {
      throw new RegistrarException(0, "", "the registrar's '" + field + "' is not base64");
    }
  }

  private static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }
}
