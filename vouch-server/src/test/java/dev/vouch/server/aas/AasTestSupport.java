package dev.vouch.server.aas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A server config with a known bootstrap password, and requests with any bearer credential. */
public final class AasTestSupport {
  public static final String BOOTSTRAP_PASSWORD = "bootstrap-password-0123";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private AasTestSupport() {}

  /** {@code base} with the bootstrap password set and default token timings. */
  public static ServerConfig withBootstrapPassword(ServerConfig base) {
    return base.withAdmin(TestServers.adminWithPassword(BOOTSTRAP_PASSWORD));
  }

  /** Sends {@code method path} with an optional body and bearer credential. */
  public static TestServers.Reply send(
      URI base, String method, String path, String contentType, String body, String bearer) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    if (body != null) {
      b.header("Content-Type", contentType == null ? "application/json" : contentType);
      b.method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    try {
      HttpResponse<String> r =
          HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new TestServers.Reply(
          r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Logs in and returns the token. */
  public static String login(URI base, String user, String password) {
    TestServers.Reply r =
        send(
            base,
            "POST",
            "/api/v1/auth/token",
            null,
            "{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}",
            null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("expires_in").asLong()).isPositive();
    return r.json().get("token").asText();
  }

  /** Adds a user with {@code roles} as the bootstrap admin (API key). */
  public static void addUser(URI base, String name, String password, String... roles) {
    StringBuilder rs = new StringBuilder();
    for (String r : roles) {
      rs.append(rs.isEmpty() ? "" : ",").append('"').append(r).append('"');
    }
    TestServers.Reply r =
        send(
            base,
            "POST",
            "/api/v1/users",
            null,
            "{\"name\":\"" + name + "\",\"roles\":[" + rs + "],\"password\":\"" + password + "\"}",
            TestServers.ADMIN);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }
}
