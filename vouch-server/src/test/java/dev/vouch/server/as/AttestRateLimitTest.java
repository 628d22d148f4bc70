package dev.vouch.server.as;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code http.attest_rate_per_second} and {@code http.attest_burst}: each client's requests on
 * {@code POST /api/v1/attest} and {@code POST /attestation} share one bucket; once it is spent the
 * server answers 429 problem+json {@code rate-limited} with Retry-After before reading the body,
 * and other routes are not limited by it.
 */
class AttestRateLimitTest {
  @TempDir Path dir;

  @Test
  void aClientOverItsAttestationRateGets429WithRetryAfterOnBothRoutes() throws Exception {
    ServerConfig base = TestServers.plain(dir);
    ServerConfig.Http h = base.http();
    // one request per second after a burst of three: twelve requests in a row cannot all pass
    // unless the machine takes more than nine seconds for them
    ServerConfig cfg =
        new ServerConfig(
            base.dataDir(),
            new ServerConfig.Http(
                h.host(), h.port(), h.maxRequestBytes(), new ServerConfig.RateLimit(1, 3)),
            base.tls(),
            base.storage(),
            base.tokens(),
            base.admin(),
            base.rvps(),
            base.kbs(),
            base.registrar(),
            base.hosts(),
            base.verifiers(),
            base.kubernetes());
    try (VouchServer s = VouchServer.start(cfg)) {
      HttpClient http = HttpClient.newHttpClient();
      List<HttpResponse<String>> answers = new ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < 12; i++) {
        String path = i % 2 == 0 ? "/api/v1/attest" : "/attestation";
        answers.add(
            http.send(
                HttpRequest.newBuilder(s.baseUri().resolve(path))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      long elapsedSeconds = (System.nanoTime() - start) / 1_000_000_000L + 1;
      // the burst: the requests reach the handlers, which refuse the empty request
      for (HttpResponse<String> r : answers.subList(0, 3)) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
      }
      List<HttpResponse<String>> limited =
          answers.stream().filter(r -> r.statusCode() == 429).toList();
      assertThat(limited).isNotEmpty();
      assertThat(answers).allMatch(r -> r.statusCode() == 400 || r.statusCode() == 429);
      for (HttpResponse<String> r : limited) {
        assertThat(r.headers().firstValue("Content-Type"))
            .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(r.body()).contains("rate-limited");
        assertThat(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow()))
            .isBetween(1L, 60L);
      }
      // both routes draw on one bucket: no more passed than the burst plus what refilled meanwhile
      long passed = answers.stream().filter(r -> r.statusCode() != 429).count();
      assertThat(passed).isLessThanOrEqualTo(3 + elapsedSeconds + 1);
      // other routes keep answering
      assertThat(
              http.send(
                      HttpRequest.newBuilder(s.baseUri().resolve("/api/v1/jwks")).GET().build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode())
          .isEqualTo(200);
    }
  }
}
