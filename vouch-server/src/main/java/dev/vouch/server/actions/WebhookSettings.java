package dev.vouch.server.actions;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Webhook delivery settings.
 *
 * @param targets the receivers; every event goes to each
 * @param capacity how many deliveries may wait (queued or between retries); beyond it new events
 *     are dropped and counted, so a dead receiver cannot exhaust memory
 * @param maxAttempts attempts per delivery, at least 1
 * @param firstBackoff the wait before the second attempt; doubled for each further attempt
 * @param maxBackoff the longest wait between attempts
 * @param timeout connect and response timeout of one attempt
 */
public record WebhookSettings(
    List<WebhookTarget> targets,
    int capacity,
    int maxAttempts,
    Duration firstBackoff,
    Duration maxBackoff,
    Duration timeout) {
  public WebhookSettings {
    targets = List.copyOf(targets);
    Objects.requireNonNull(firstBackoff, "firstBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    Objects.requireNonNull(timeout, "timeout");
    if (capacity < 1 || maxAttempts < 1) {
      throw new IllegalArgumentException("capacity and maxAttempts must be at least 1");
    }
  }

  /** 1000 pending deliveries, 6 attempts from 1 s up to 60 s apart, 10 s per attempt. */
  public static WebhookSettings defaults(List<WebhookTarget> targets) {
    return new WebhookSettings(
        targets, 1000, 6, Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(10));
  }
}
