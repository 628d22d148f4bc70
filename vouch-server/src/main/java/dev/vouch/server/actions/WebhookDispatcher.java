package dev.vouch.server.actions;

import dev.vouch.core.bytes.Hex;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Delivers status events to webhooks in the background: a JSON POST with the headers {@code
 * X-Vouch-Signature: sha256=<hex HMAC-SHA256 of the body under the target's secret>}, {@code
 * X-Vouch-Event: host.status} (or {@code host.baseline-changed}) and {@code X-Vouch-Delivery:
 * <uuid>} (the same on every retry, so receivers can drop duplicates). Network errors, 408, 429 and
 * 5xx answers are retried with exponential backoff; other answers end the delivery. {@link #submit}
 * never blocks: when {@link WebhookSettings#capacity()} deliveries are pending, the event is
 * dropped and counted.
 */
public final class WebhookDispatcher implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(WebhookDispatcher.class.getName());

  /** The signature header; its value is {@code sha256=} and the lowercase hex HMAC. */
  public static final String SIGNATURE_HEADER = "X-Vouch-Signature";

  public static final String EVENT_HEADER = "X-Vouch-Event";
  public static final String DELIVERY_HEADER = "X-Vouch-Delivery";

  private final WebhookSettings settings;
  private final HttpClient http;
  private final ScheduledExecutorService scheduler;
  private final Semaphore pending;
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong retried = new AtomicLong();

  public WebhookDispatcher(WebhookSettings settings) {
    this.settings = settings;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(settings.timeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    // two workers: one slow receiver does not hold up every other delivery
    ScheduledThreadPoolExecutor s =
        new ScheduledThreadPoolExecutor(
            2,
            r -> {
              Thread t = new Thread(r, "vouch-webhooks");
              t.setDaemon(true);
              return t;
            });
    s.setRemoveOnCancelPolicy(true);
    this.scheduler = s;
    this.pending = new Semaphore(settings.capacity());
  }

  /** Queues the event for every target; returns at once. */
  public void submit(StatusChange change) {
    byte[] body = change.toJson();
    for (WebhookTarget target : settings.targets()) {
      if (!pending.tryAcquire()) {
        dropped.incrementAndGet();
        LOG.warning(
            () ->
                "webhook "
                    + target.redactedUrl()
                    + ": queue full, dropped the event for host "
                    + change.hostId());
        continue;
      }
      Delivery d =
          new Delivery(target, body, UUID.randomUUID().toString(), change.hostId(), change.event());
      try {
        scheduler.execute(() -> attempt(d, 1));
      } catch (RuntimeException rejected) {
        // closed
        pending.release();
        dropped.incrementAndGet();
      }
    }
  }

  private record Delivery(
      WebhookTarget target, byte[] body, String id, String hostId, String event) {}

  private void attempt(Delivery d, int attempt) {
    String problem;
    try {
      HttpRequest req =
          HttpRequest.newBuilder(d.target().url())
              .timeout(settings.timeout())
              .header("Content-Type", "application/json")
              .header(EVENT_HEADER, "host." + d.event())
              .header(DELIVERY_HEADER, d.id())
              .header(SIGNATURE_HEADER, "sha256=" + sign(d.target().secret(), d.body()))
              .POST(HttpRequest.BodyPublishers.ofByteArray(d.body()))
              .build();
      int code = http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
      if (code >= 200 && code < 300) {
        delivered.incrementAndGet();
        pending.release();
        LOG.fine(() -> "webhook " + d.target().redactedUrl() + ": delivered " + d.id());
        return;
      }
      if (code != 408 && code != 429 && code < 500) {
        finishFailed(d, "answered " + code + ", not retried");
        return;
      }
      problem = "answered " + code;
    } catch (IOException e) {
      problem = e.toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      finishFailed(d, "interrupted");
      return;
    } catch (RuntimeException e) {
      finishFailed(d, e.toString());
      return;
    }
    if (attempt >= settings.maxAttempts()) {
      finishFailed(d, problem + " after " + attempt + " attempts");
      return;
    }
    retried.incrementAndGet();
    Duration wait = backoff(attempt);
    String why = problem;
    LOG.fine(() -> "webhook " + d.target().redactedUrl() + ": " + why + ", retrying in " + wait);
    try {
      scheduler.schedule(() -> attempt(d, attempt + 1), wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RuntimeException closed) {
      finishFailed(d, "dispatcher closed");
    }
  }

  private void finishFailed(Delivery d, String why) {
    failed.incrementAndGet();
    pending.release();
    LOG.log(
        Level.WARNING,
        () ->
            "webhook "
                + d.target().redactedUrl()
                + ": event for host "
                + d.hostId()
                + " not delivered: "
                + why);
  }

  private Duration backoff(int attempt) {
    Duration d = settings.firstBackoff();
    for (int i = 1; i < attempt && d.compareTo(settings.maxBackoff()) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : d;
  }

  /** The lowercase hex HMAC-SHA256 of {@code body} under {@code secret}, as receivers check it. */
  public static String sign(byte[] secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return Hex.encode(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      // HmacSHA256 is mandatory in every JDK and any key length is valid
      throw new IllegalStateException(e);
    }
  }

  /** Deliveries that a receiver accepted with 2xx. */
  public long delivered() {
    return delivered.get();
  }

  /** Deliveries given up: a final non-retryable answer or all attempts used. */
  public long failed() {
    return failed.get();
  }

  /** Events not queued because the queue was full or the dispatcher closed. */
  public long dropped() {
    return dropped.get();
  }

  /** Attempts that were scheduled again after a retryable failure. */
  public long retried() {
    return retried.get();
  }

  /** Deliveries queued or waiting for a retry. */
  public int pending() {
    return settings.capacity() - pending.availablePermits();
  }

  /** Stops at once; pending deliveries are abandoned (they are logged events, not state). */
  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
