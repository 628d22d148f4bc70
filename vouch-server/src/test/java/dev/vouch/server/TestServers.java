package dev.vouch.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.server.config.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Server configs for tests and a small HTTP client over java.net.http. */
public final class TestServers {
  public static final String ADMIN = "test-admin-token-0123456789";
  public static final ObjectMapper JSON = new ObjectMapper();

  private TestServers() {}

  /** Plain HTTP on 127.0.0.1 with any free port, H2 under {@code dataDir}. */
  public static ServerConfig plain(Path dataDir) {
    return config(dataDir, ServerConfig.TlsMode.OFF, Optional.empty());
  }

  public static ServerConfig config(
      Path dataDir, ServerConfig.TlsMode tls, Optional<String> jdbcUrl) {
    return new ServerConfig(
        dataDir,
        new ServerConfig.Http("127.0.0.1", 0, ServerConfig.Http.DEFAULT_MAX_REQUEST_BYTES),
        new ServerConfig.Tls(tls, Optional.empty(), Optional.empty()),
        new ServerConfig.Storage(
            jdbcUrl,
            jdbcUrl.map(u -> "postgres"),
            Optional.empty(),
            4,
            Optional.empty(),
            Optional.empty()),
        new ServerConfig.Tokens("ES256", Duration.ofMinutes(5), Duration.ofHours(24)),
        new ServerConfig.Admin(Optional.of(ADMIN)),
        new ServerConfig.Rvps(Optional.empty()));
  }

  /** The test admin token plus a known bootstrap password for the administrator {@code admin}. */
  public static ServerConfig.Admin adminWithPassword(String password) {
    return new ServerConfig.Admin(
        Optional.of(ADMIN),
        Optional.of(password),
        ServerConfig.Admin.DEFAULT_TOKEN_LIFETIME,
        ServerConfig.Admin.DEFAULT_KEY_ROTATION);
  }

  /** A response with its body as text. */
  public record Reply(int status, String contentType, String body) {
    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }
  }

  /** A client for one server. */
  public static final class Client {
    private final HttpClient http;
    private final URI base;

    public Client(URI base) {
      this(HttpClient.newHttpClient(), base);
    }

    public Client(HttpClient http, URI base) {
      this.http = http;
      this.base = base;
    }

    public Reply get(String path, boolean admin) {
      return send(builder(path, admin).GET());
    }

    public Reply post(String path, String body, boolean admin) {
      return send(
          builder(path, admin)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** Registers reference values as an admin, in an RVPS {@code sample} message. */
    public Reply registerSample(java.util.Map<String, ?> values) {
      try {
        String msg =
            JSON.writeValueAsString(
                java.util.Map.of("version", "0.1.0", "type", "sample", "payload", values));
        return post("/api/v1/reference-values", msg, true);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    public Reply put(String path, String body, boolean admin) {
      return send(
          builder(path, admin)
              .header("Content-Type", "application/yaml")
              .PUT(HttpRequest.BodyPublishers.ofString(body)));
    }

    public Reply delete(String path, boolean admin) {
      return send(builder(path, admin).DELETE());
    }

    private HttpRequest.Builder builder(String path, boolean admin) {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
      if (admin) {
        b.header("Authorization", "Bearer " + ADMIN);
      }
      return b;
    }

    private Reply send(HttpRequest.Builder b) {
      try {
        HttpResponse<String> r =
            http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new Reply(
            r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
