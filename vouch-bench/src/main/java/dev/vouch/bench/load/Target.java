package dev.vouch.bench.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The separately started {@code vouch server} a run drives: its base URL, one keep-alive HTTP/1.1
 * client shared by all operations (as a fleet behind a load balancer would reuse connections), and
 * the admin token for the set-up calls.
 */
public record Target(URI base, HttpClient http, String adminToken) {

  public static HttpClient client(javax.net.ssl.SSLContext tls) {
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10));
    if (tls != null) {
      b.sslContext(tls);
    }
    return b.build();
  }

  /**
   * An admin call that must answer 2xx.
   *
   * @throws IOException with the status when it did not
   */
  public String admin(String method, String path, String contentType, byte[] body)
      throws IOException, InterruptedException {
    return admin(method, path, contentType, body, adminToken);
  }

  public String admin(String method, String path, String contentType, byte[] body, String bearer)
      throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(base.resolve(path))
                .header("Authorization", "Bearer " + bearer)
                .header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      // the problem document carries a code, never a secret: show its first line
      String first = r.body().lines().findFirst().orElse("");
      throw new IOException(
          method + " " + path + " answered " + r.statusCode() + ": " + abbreviate(first));
    }
    return r.body();
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }
}
