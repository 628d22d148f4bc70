package dev.vouch.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.server.TestServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every answer, errors included, carries the security headers and never a stack trace. */
class SecurityHeadersTest {
  @TempDir static Path dir;
  static VouchServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    server = VouchServer.start(TestServers.plain(dir));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest.Builder at(String path) {
    return HttpRequest.newBuilder(URI.create(server.baseUri() + path));
  }

  @Test
  void answersOfEveryKindCarryTheHeaders() throws Exception {
    List<HttpResponse<String>> answers =
        List.of(
            send(at("/healthz").GET()),
            send(at("/api/v1/openapi.json").GET()),
            send(at("/no/such/route").GET()),
            send(at("/api/v1/policies").GET()),
            send(
                at("/api/v1/attest")
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"tee\":"))));
    for (HttpResponse<String> r : answers) {
      HttpHeaders h = r.headers();
      assertThat(h.firstValue("X-Content-Type-Options")).as(r.uri().toString()).hasValue("nosniff");
      assertThat(h.firstValue("X-Frame-Options")).as(r.uri().toString()).hasValue("DENY");
      assertThat(h.firstValue("Cache-Control")).as(r.uri().toString()).hasValue("no-store");
      assertThat(h.firstValue("Referrer-Policy")).as(r.uri().toString()).hasValue("no-referrer");
      assertThat(h.firstValue("Strict-Transport-Security")).isEmpty();
    }
  }

  @Test
  void errorAnswersAreProblemDocumentsWithoutStackTraces() throws Exception {
    HttpResponse<String> bad =
        send(
            at("/api/v1/attest")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"tee\":")));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    assertThat(bad.body())
        .doesNotContain("Exception")
        .doesNotContain("at dev.vouch")
        .doesNotContain("\tat ");
  }
}
