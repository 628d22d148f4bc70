package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.server.TestServers;
import dev.vouch.server.TestServers.Reply;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/v1/resources} on a real server: a resource stored through Trustee's admin route
 * is listed by path for the admin API's credential, its value never; no credential, no list; with
 * the key broker off there is no such route.
 */
class ResourceNameRoutesTest {
  private static final String SECRET = "resource-value-never-listed-4711";

  @TempDir Path dir;

  @Test
  void listsStoredResourcePathsButNeverTheirValues() throws Exception {
    KeyPair admin = KbsAdminAndPassportTest.ed25519();
    Path pem = Files.writeString(dir.resolve("kbs-admin.pub"), KbsAdminAndPassportTest.pem(admin));
    ServerConfig.Kbs d = ServerConfig.Kbs.defaults();
    ServerConfig config =
        TestServers.plain(dir.resolve("data"))
            .withKbs(
                new ServerConfig.Kbs(
                    true, d.sessionTtl(), List.of(pem), d.tees(), Optional.empty()));
    try (VouchServer server = VouchServer.start(config)) {
      TestServers.Client api = new TestServers.Client(server.baseUri());
      assertThat(api.get("/api/v1/resources", true).json().get("resources").size()).isZero();
      String jwt = KbsAdminAndPassportTest.edToken(admin, Instant.now().plusSeconds(120));
      HttpResponse<String> put =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(server.baseUri() + "/kbs/v0/resource/default/key/one"))
                      .header("Authorization", "Bearer " + jwt)
                      .header("Content-Type", "application/octet-stream")
                      .timeout(Duration.ofSeconds(30))
                      .POST(HttpRequest.BodyPublishers.ofString(SECRET))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);

      Reply list = api.get("/api/v1/resources", true);
      assertThat(list.status()).isEqualTo(200);
      assertThat(list.json().get("resources").get(0).asText()).isEqualTo("default/key/one");
      assertThat(list.body()).doesNotContain(SECRET);

      Reply anonymous = api.get("/api/v1/resources", false);
      assertThat(anonymous.status()).isEqualTo(401);
      assertThat(anonymous.contentType()).startsWith("application/problem+json");
    }
  }

  @Test
  void thereIsNoListWhenTheKeyBrokerIsOff() throws Exception {
    ServerConfig.Kbs d = ServerConfig.Kbs.defaults();
    ServerConfig config =
        TestServers.plain(dir.resolve("off"))
            .withKbs(
                new ServerConfig.Kbs(false, d.sessionTtl(), List.of(), d.tees(), Optional.empty()));
    try (VouchServer server = VouchServer.start(config)) {
      assertThat(new TestServers.Client(server.baseUri()).get("/api/v1/resources", true).status())
          .isEqualTo(404);
    }
  }
}
