package dev.vouch.server.actions;

import io.nats.client.Connection;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Publishes host status events: on NATS subject {@code vouch.host.<hostId>.status} with the JSON
 * body of {@link StatusChange#toJson()}, and to the configured webhooks. {@link #publish} never
 * blocks on a receiver and never throws for a delivery problem: failures are logged and counted.
 * NATS delivery is at most once (core NATS); webhooks are retried by the {@link WebhookDispatcher}.
 */
public final class AttestationEvents implements StatusPublisher, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(AttestationEvents.class.getName());

  private final Optional<Connection> nats;
  private final Optional<WebhookDispatcher> webhooks;
  private final StatusPublisher record;
  private final AtomicLong natsPublished = new AtomicLong();
  private final AtomicLong natsFailed = new AtomicLong();

  /**
   * @param nats the connection to publish on, if NATS is configured
   * @param webhooks the webhook dispatcher, if webhooks are configured (closed with this object)
   */
  public AttestationEvents(Optional<Connection> nats, Optional<WebhookDispatcher> webhooks) {
    this(nats, webhooks, change -> {});
  }

  /**
   * @param record where every change is also recorded (the audit log), before it is sent out
   */
  public AttestationEvents(
      Optional<Connection> nats, Optional<WebhookDispatcher> webhooks, StatusPublisher record) {
    this.nats = Objects.requireNonNull(nats, "nats");
    this.webhooks = Objects.requireNonNull(webhooks, "webhooks");
    this.record = Objects.requireNonNull(record, "record");
  }

  /**
   * The subject for a host's status events. Characters that NATS gives a meaning in subjects
   * ({@code . * >}, whitespace) and {@code %} are percent-encoded, so every host id maps to one
   * token and distinct ids to distinct subjects.
   */
  public static String subjectFor(String hostId) {
    StringBuilder b = new StringBuilder("vouch.host.");
    hostId
        .codePoints()
        .forEach(
            c -> {
              if (c <= 0x20 || c == '.' || c == '*' || c == '>' || c == '%' || c == 0x7f) {
                b.append('%').append(String.format("%02X", c));
              } else {
                b.appendCodePoint(c);
              }
            });
    return b.append(".status").toString();
  }

  /** Sends the event to NATS and queues it for the webhooks; returns at once. */
  @Override
  public void publish(StatusChange change) {
    record.publish(change);
    nats.ifPresent(
        c -> {
          try {
            c.publish(subjectFor(change.hostId()), change.toJson());
            natsPublished.incrementAndGet();
          } catch (RuntimeException e) {
            // closed connection or a full reconnect buffer: an event lost, not an attestation
            natsFailed.incrementAndGet();
            LOG.warning(
                () -> "host " + change.hostId() + ": status event not published on NATS: " + e);
          }
        });
    webhooks.ifPresent(w -> w.submit(change));
  }

  public long natsPublished() {
    return natsPublished.get();
  }

  public long natsFailed() {
    return natsFailed.get();
  }

  public Optional<WebhookDispatcher> webhooks() {
    return webhooks;
  }

  @Override
  public void close() {
    webhooks.ifPresent(WebhookDispatcher::close);
  }
}
