package dev.vouch.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.server.TestServers;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A body over the limit gets a 413 problem that the client can read, whether it declared its length
 * or sent it chunked: the client is still writing when the server decides, and a server that closed
 * on unread bytes would make the client see a reset instead (a flaky failure seen on a clean
 * clone). Repeated, because the race only shows now and then.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OversizedBodyTest {
  VouchServer server;
  HttpClient http;
  // the server's own limit, whatever the default is
  int limit;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    server = VouchServer.start(TestServers.plain(dir));
    limit = (int) server.services().config().http().maxRequestBytes();
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private static byte[] body(int size) {
    String head = "{\"tee\":\"tpm\",\"evidence\":\"";
    StringBuilder b = new StringBuilder(size + 2).append(head);
    b.append("A".repeat(size - head.length() - 2)).append("\"}");
    return b.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private void assertPayloadTooLarge(HttpRequest.BodyPublisher publisher) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(server.baseUri() + "/api/v1/attest"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(publisher)
            .build();
    HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(r.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/problem+json");
    JsonNode problem = TestServers.JSON.readTree(r.body());
    assertThat(problem.get("type").asText())
        .isEqualTo("https://vouch.dev/problems/payload-too-large");
  }

  @RepeatedTest(50)
  void aDeclaredLengthOverTheLimitIsRefusedWithAReadable413() throws Exception {
    assertPayloadTooLarge(HttpRequest.BodyPublishers.ofByteArray(body(6 * limit)));
  }

  @RepeatedTest(50)
  void aChunkedBodyOverTheLimitIsRefusedWithAReadable413() throws Exception {
    byte[] b = body(6 * limit);
    // an input-stream publisher has no known length, so the client sends it chunked
    assertPayloadTooLarge(
        HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(b)));
  }
}
