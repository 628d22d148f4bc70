package dev.vouch.server.actions;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.policy.flavor.HostStatus;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Webhook deliveries to local receivers: signed, retried, bounded, never blocking. */
class WebhookDispatcherTest {
  static final byte[] SECRET = "0123456789abcdef-webhook-secret".getBytes(StandardCharsets.UTF_8);

  record Received(Map<String, String> headers, byte[] body) {}

  final List<Received> received = new CopyOnWriteArrayList<>();
  HttpServer server;
  WebhookDispatcher dispatcher;

  /** A receiver on 127.0.0.1 that answers each request with {@code answer(attemptNumber)}. */
  URI receiver(ToIntFunction<Integer> answer) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    AtomicInteger n = new AtomicInteger();
    server.createContext(
        "/hook",
        (HttpExchange ex) -> {
          byte[] body = ex.getRequestBody().readAllBytes();
          Map<String, String> h = new ConcurrentHashMap<>();
          ex.getRequestHeaders().forEach((k, v) -> h.put(k.toLowerCase(), v.getFirst()));
          received.add(new Received(h, body));
          ex.sendResponseHeaders(answer.applyAsInt(n.incrementAndGet()), -1);
          ex.close();
        });
    server.start();
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook");
  }

  WebhookDispatcher dispatcher(URI url, int capacity, int attempts) {
    dispatcher =
        new WebhookDispatcher(
            new WebhookSettings(
                List.of(new WebhookTarget(url, SECRET)),
                capacity,
                attempts,
                Duration.ofMillis(50),
                Duration.ofMillis(200),
                Duration.ofSeconds(2)));
    return dispatcher;
  }

  @AfterEach
  void stop() {
    if (dispatcher != null) {
      dispatcher.close();
    }
    if (server != null) {
      server.stop(0);
    }
  }

  static StatusChange failure() {
    return new StatusChange(
        "host-a",
        HostStatus.VERIFIED,
        HostStatus.SECURE_BOOT_DISABLED,
        List.of("SecureBoot variable is 0"),
        Optional.empty(),
        Instant.parse("2026-05-01T10:15:30Z"));
  }

  static void await(java.util.function.BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!done.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(done.getAsBoolean()).as("condition reached in time").isTrue();
  }

  @Test
  void postsTheEventJsonWithAValidHmacSignature() throws Exception {
    WebhookDispatcher d = dispatcher(receiver(n -> 204), 10, 3);

    new AttestationEvents(Optional.empty(), Optional.of(d)).publish(failure());
    await(() -> d.delivered() == 1);

    Received r = received.getFirst();
    assertThat(r.body()).isEqualTo(failure().toJson());
    assertThat(new String(r.body(), StandardCharsets.UTF_8))
        .contains("\"current\":\"SECURE_BOOT_DISABLED\"", "\"report_id\":null");
    assertThat(r.headers()).containsEntry("content-type", "application/json");
    assertThat(r.headers()).containsEntry("x-vouch-event", "host.status");
    String sig = r.headers().get("x-vouch-signature");
    assertThat(sig).startsWith("sha256=");
    // the receiver's check: its own HMAC over the raw body, compared in constant time
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(SECRET, "HmacSHA256"));
    byte[] expected = mac.doFinal(r.body());
    assertThat(
            Crypto.constantTimeEquals(
                expected, java.util.HexFormat.of().parseHex(sig.substring("sha256=".length()))))
        .isTrue();
    // a different secret gives a different signature
    assertThat(WebhookDispatcher.sign("another-secret-of-16+".getBytes(), r.body()))
        .isNotEqualTo(sig.substring(7));
    assertThat(d.failed()).isZero();
    assertThat(d.pending()).isZero();
  }

  @Test
  void aBaselineChangeIsPostedSignedAsItsOwnEvent() throws Exception {
    WebhookDispatcher d = dispatcher(receiver(n -> 204), 10, 3);
    dev.vouch.policy.flavor.FlavorEvent added =
        new dev.vouch.policy.flavor.FlavorEvent(
            0xa, "EV_PLATFORM_CONFIG_FLAGS", List.of(), "0b".repeat(32));
    StatusChange change =
        new StatusChange(
            "host-a",
            HostStatus.VERIFIED,
            HostStatus.VERIFIED,
            List.of(),
            Optional.of("report-2"),
            Instant.parse("2026-05-01T10:15:30Z"),
            Optional.of(
                new dev.vouch.policy.flavor.BaselineChange(
                    java.util.OptionalLong.of(4),
                    5,
                    true,
                    List.of(
                        new dev.vouch.policy.flavor.BaselineChange.PcrChange(
                            "SHA256",
                            1,
                            "aa".repeat(32),
                            "cc".repeat(32),
                            true,
                            List.of(added),
                            List.of())))));
    // VERIFIED to VERIFIED: published only because the baseline changed
    assertThat(new FailurePolicy(false).decide(change))
        .containsExactly(new FailurePolicy.Publish());

    new AttestationEvents(Optional.empty(), Optional.of(d)).publish(change);
    await(() -> d.delivered() == 1);

    Received r = received.getFirst();
    assertThat(r.headers()).containsEntry("x-vouch-event", "host.baseline-changed");
    assertThat(r.headers().get("x-vouch-signature"))
        .isEqualTo("sha256=" + WebhookDispatcher.sign(SECRET, r.body()));
    com.fasterxml.jackson.databind.JsonNode body =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    assertThat(body.path("event").asText()).isEqualTo("baseline-changed");
    com.fasterxml.jackson.databind.JsonNode pcr = body.path("baseline").path("pcrs").get(0);
    assertThat(pcr.path("pcr").asInt()).isEqualTo(1);
    assertThat(pcr.path("before").asText()).isEqualTo("aa".repeat(32));
    assertThat(pcr.path("after").asText()).isEqualTo("cc".repeat(32));
    assertThat(pcr.path("events_added").get(0).path("digest").asText()).isEqualTo("0b".repeat(32));
    assertThat(body.path("baseline").path("previous_reset_count").asLong()).isEqualTo(4);
  }

  @Test
  void aFailingReceiverIsRetriedWithTheSameDeliveryId() throws Exception {
    WebhookDispatcher d = dispatcher(receiver(n -> n <= 2 ? 503 : 200), 10, 5);

    d.submit(failure());
    await(() -> d.delivered() == 1);

    assertThat(received).hasSize(3);
    assertThat(received)
        .extracting(r -> r.headers().get("x-vouch-delivery"))
        .containsOnly(received.getFirst().headers().get("x-vouch-delivery"));
    assertThat(d.retried()).isEqualTo(2);
    assertThat(d.failed()).isZero();
  }

  @Test
  void aReceiverThatKeepsFailingIsGivenUpAfterTheLastAttemptAndCounted() throws Exception {
    WebhookDispatcher d = dispatcher(receiver(n -> 500), 10, 3);

    d.submit(failure());
    await(() -> d.failed() == 1);

    assertThat(received).hasSize(3);
    assertThat(d.delivered()).isZero();
    assertThat(d.pending()).isZero();
  }

  @Test
  void aClientErrorIsNotRetried() throws Exception {
    WebhookDispatcher d = dispatcher(receiver(n -> 401), 10, 5);

    d.submit(failure());
    await(() -> d.failed() == 1);

    assertThat(received).hasSize(1);
    assertThat(d.retried()).isZero();
  }

  @Test
  void anUnreachableReceiverIsRetriedAndCounted() throws Exception {
    // a port that was free a moment ago: connection refused
    int port;
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    WebhookDispatcher d = dispatcher(URI.create("http://127.0.0.1:" + port + "/hook"), 10, 2);

    d.submit(failure());
    await(() -> d.failed() == 1);

    assertThat(d.retried()).isEqualTo(1);
  }

  @Test
  void aHangingReceiverNeverBlocksTheCallerAndAFullQueueDropsEvents() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    WebhookDispatcher d =
        dispatcher(
            receiver(
                n -> {
                  try {
                    release.await(5, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  return 200;
                }),
            3,
            1);

    long start = System.nanoTime();
    for (int i = 0; i < 10; i++) {
      d.submit(failure());
    }
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(tookMillis).isLessThan(1000);
    assertThat(d.dropped()).isEqualTo(7);
    assertThat(d.pending()).isEqualTo(3);
    release.countDown();
    await(() -> d.delivered() == 3);
    assertThat(d.pending()).isZero();
  }

  @Test
  void targetsRefuseShortSecretsAndOtherSchemesAndHideTheSecret() {
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
        .isThrownBy(() -> new WebhookTarget(URI.create("http://x/"), new byte[8]));
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
        .isThrownBy(() -> new WebhookTarget(URI.create("ftp://x/"), SECRET));
    WebhookTarget t = new WebhookTarget(URI.create("https://ops:pw@x:8443/h?token=t1"), SECRET);
    assertThat(t.toString()).isEqualTo("WebhookTarget[https://x:8443/h]");
    assertThat(t.redactedUrl()).doesNotContain("pw", "t1");
  }
}
