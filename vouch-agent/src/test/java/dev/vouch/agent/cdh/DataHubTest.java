package dev.vouch.agent.cdh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.kbs.KbsException;
import java.io.OutputStream;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class DataHubTest {
  final HttpClient http = HttpClient.newHttpClient();
  final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
  final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId z) {
          return this;
        }

        @Override
        public Instant instant() {
          return now.get();
        }
      };

  HttpResponse<byte[]> get(DataHub hub, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hub.port() + path)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void servesResourcesFromTheCacheUntilTheTokenExpires() throws Exception {
    AtomicInteger fetches = new AtomicInteger();
    ResourceSource src =
        (r, t, tag) -> {
          fetches.incrementAndGet();
          return new ResourceSource.Fetched(
              (r + "/" + t + "/" + tag).getBytes(), now.get().plusSeconds(60));
        };
    try (DataHub hub = DataHub.start(src, 0, Duration.ofMinutes(10), clock)) {
      HttpResponse<byte[]> r = get(hub, "/cdh/resource/default/key/luks");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(new String(r.body())).isEqualTo("default/key/luks");
      assertThat(r.headers().firstValue("content-type")).hasValue("application/octet-stream");
      get(hub, "/cdh/resource/default/key/luks");
      assertThat(fetches).hasValue(1);
      now.set(now.get().plusSeconds(61));
      get(hub, "/cdh/resource/default/key/luks");
      assertThat(fetches).hasValue(2);
    }
  }

  @Test
  void theConfiguredLifetimeCapsTheCache() throws Exception {
    AtomicInteger fetches = new AtomicInteger();
    ResourceSource src =
        (r, t, tag) -> {
          fetches.incrementAndGet();
          return new ResourceSource.Fetched(new byte[] {1}, now.get().plusSeconds(3600));
        };
    try (DataHub hub = DataHub.start(src, 0, Duration.ofSeconds(5), clock)) {
      get(hub, "/cdh/resource/a/b/c");
      now.set(now.get().plusSeconds(6));
      get(hub, "/cdh/resource/a/b/c");
      assertThat(fetches).hasValue(2);
    }
  }

  @Test
  void refusalsAndBadPathsAreAnsweredWithTheirReason() throws Exception {
    ResourceSource src =
        (r, t, tag) -> {
          throw new KbsException(
              403,
              "https://github.com/confidential-containers/kbs/errors/PolicyDeny",
              "resource policy denied");
        };
    try (DataHub hub = DataHub.start(src, 0, Duration.ofMinutes(1), clock)) {
      HttpResponse<byte[]> denied = get(hub, "/cdh/resource/a/b/c");
      assertThat(denied.statusCode()).isEqualTo(403);
      assertThat(new String(denied.body())).contains("PolicyDeny").contains("denied");
      assertThat(get(hub, "/cdh/resource/a/../c").statusCode()).isIn(400, 404);
      assertThat(get(hub, "/cdh/resource/a/b/c/d").statusCode()).isEqualTo(400);
      assertThat(get(hub, "/cdh/resource/a/b/.x").statusCode()).isEqualTo(400);
    }
  }

  @Test
  void listensOnLoopbackOnly() throws Exception {
    try (DataHub hub = DataHub.start((r, t, g) -> null, 0, Duration.ofMinutes(1), clock)) {
      assertThat(hub.port()).isPositive();
      assertThat(hub.address().getAddress().isLoopbackAddress()).isTrue();
    }
  }

  HttpResponse<byte[]> unseal(DataHub hub, String sealed) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hub.port() + "/cdh/unseal"))
            .POST(HttpRequest.BodyPublishers.ofString(sealed))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void unsealsASealedSecretWithKeysFromTheKbsAndNotWhenTheKbsRefuses() throws Exception {
    SealedSecretTest.keys();
    String sealed = SealedSecretTest.seal();
    AtomicReference<Boolean> attested = new AtomicReference<>(false);
    ResourceSource src =
        (r, t, tag) -> {
          if (!attested.get()) {
            throw new KbsException(
                401,
                "https://github.com/confidential-containers/kbs/errors/AttestationFailed",
                "evidence rejected");
          }
          byte[] v = SealedSecretTest.kbs.get(new dev.vouch.agent.kbs.ResourceUri("", r, t, tag));
          return new ResourceSource.Fetched(v, now.get().plusSeconds(60));
        };
    try (DataHub hub = DataHub.start(src, 0, Duration.ofMinutes(1), clock)) {
      HttpResponse<byte[]> before = unseal(hub, sealed);
      assertThat(before.statusCode()).isEqualTo(403);
      assertThat(new String(before.body())).contains("AttestationFailed").doesNotContain("hunter2");
      attested.set(true);
      HttpResponse<byte[]> after = unseal(hub, sealed);
      assertThat(after.statusCode()).isEqualTo(200);
      assertThat(after.body()).isEqualTo(SealedSecretTest.SECRET);
      assertThat(after.headers().firstValue("cache-control")).hasValue("no-store");
      HttpResponse<byte[]> forged = unseal(hub, sealed.substring(0, sealed.length() - 4) + "AAAA");
      assertThat(forged.statusCode()).isEqualTo(400);
      assertThat(new String(forged.body())).startsWith("SIGNATURE_INVALID");
    }
  }

  /** A raw HTTP/1.1 exchange over the hub's unix socket: status, content type, body. */
  public static List<Object> overSocket(Path socket, String method, String path, String body)
      throws Exception {
    try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      String req =
          method
              + " "
              + path
              + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
              + b.length
              + "\r\n\r\n";
      OutputStream out = Channels.newOutputStream(c);
      out.write(req.getBytes(StandardCharsets.US_ASCII));
      out.write(b);
      out.flush();
      byte[] all = Channels.newInputStream(c).readAllBytes();
      String text = new String(all, StandardCharsets.ISO_8859_1);
      int split = text.indexOf("\r\n\r\n");
      String[] head = text.substring(0, split).split("\r\n");
      String type = "";
      for (String h : head) {
        if (h.toLowerCase(java.util.Locale.ROOT).startsWith("content-type:")) {
          type = h.substring(13).strip();
        }
      }
      byte[] payload = java.util.Arrays.copyOfRange(all, split + 4, all.length);
      return List.of(
          Integer.parseInt(head[0].split(" ")[1]),
          type,
          new String(payload, StandardCharsets.UTF_8));
    }
  }

  static List<Object> overTcp(DataHub hub, String method, String path, String body)
      throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hub.port() + path))
                    .method(method, HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    return List.of(r.statusCode(), r.headers().firstValue("content-type").orElse(""), r.body());
  }

  @Test
  void theUnixSocketAnswersExactlyAsTheTcpPort(@TempDir Path tmp) throws Exception {
    SealedSecretTest.keys();
    String sealed = SealedSecretTest.seal();
    ResourceSource src =
        (r, t, tag) -> {
          if (tag.equals("denied")) {
            throw new KbsException(
                403,
                "https://github.com/confidential-containers/kbs/errors/PolicyDeny",
                "resource policy denied");
          }
          byte[] v = SealedSecretTest.kbs.get(new dev.vouch.agent.kbs.ResourceUri("", r, t, tag));
          return new ResourceSource.Fetched(
              v == null ? (r + "/" + t + "/" + tag).getBytes() : v, now.get().plusSeconds(60));
        };
    Path socket = tmp.resolve("cdh.sock");
    try (DataHub hub =
        DataHub.start(src, 0, java.util.Optional.of(socket), Duration.ofMinutes(1), clock)) {
      assertThat(Files.getPosixFilePermissions(socket))
          .isEqualTo(PosixFilePermissions.fromString("rw-------"));
      List<List<String>> requests =
          List.of(
              List.of("GET", "/cdh/resource/default/key/luks", ""),
              List.of("GET", "/cdh/resource/default/key/denied", ""),
              List.of("GET", "/cdh/resource/a/b/c/d", ""),
              List.of("POST", "/cdh/resource/default/key/luks", ""),
              List.of("POST", "/cdh/unseal", sealed),
              List.of("POST", "/cdh/unseal", "sealed.a.b.c"),
              List.of("GET", "/cdh/other", ""));
      for (List<String> q : requests) {
        List<Object> tcp = overTcp(hub, q.get(0), q.get(1), q.get(2));
        assertThat(overSocket(socket, q.get(0), q.get(1), q.get(2)))
            .as(q.toString())
            .isEqualTo(tcp);
      }
      assertThat(overSocket(socket, "POST", "/cdh/unseal", sealed).get(2))
          .isEqualTo(new String(SealedSecretTest.SECRET, StandardCharsets.UTF_8));
      assertThat(overSocket(socket, "GET", "/cdh/resource/default/key/luks", "").get(0))
          .isEqualTo(200);
    }
    assertThat(socket).doesNotExist();
  }

  @Test
  void aRegularFileAtTheSocketPathIsLeftAloneAndRefused(@TempDir Path tmp) throws Exception {
    Path notASocket = tmp.resolve("cdh.sock");
    Files.writeString(notASocket, "keep");
    assertThat(
            org.junit.jupiter.api.Assertions.assertThrows(
                java.io.IOException.class,
                () ->
                    DataHub.start(
                        (r, t, g) -> null,
                        0,
                        java.util.Optional.of(notASocket),
                        Duration.ofMinutes(1),
                        clock)))
        .hasMessageContaining("not a socket");
    assertThat(Files.readString(notASocket)).isEqualTo("keep");
  }
}
