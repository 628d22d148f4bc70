package dev.vouch.server.actions;

import dev.vouch.core.VerificationException;
import dev.vouch.policy.report.X5cJws;
import io.nats.client.Connection;
import io.nats.client.impl.Headers;
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
  private final Optional<X5cJws.Signer> signer;
  private final AtomicLong natsPublished = new AtomicLong();
  private final AtomicLong natsFailed = new AtomicLong();

  /**
   * @param nats the connection to publish on, if NATS is configured
   * @param webhooks the webhook dispatcher, if webhooks are configured (closed with this object)
   */
  public AttestationEvents(Optional<Connection> nats, Optional<WebhookDispatcher> webhooks) {
    this(nats, webhooks, change -> {}, Optional.empty());
  }

  /**
   * @param record where every change is also recorded (the audit log), before it is sent out
   * @param signer the server's reporting key: each NATS event then carries a detached JWS of its
   *     body in the {@value #SIGNATURE_HEADER} header, so that a subscriber can tell the server's
   *     events from anyone else's on the same subject
   */
  public AttestationEvents(
      Optional<Connection> nats,
      Optional<WebhookDispatcher> webhooks,
      StatusPublisher record,
      Optional<X5cJws.Signer> signer) {
    this.nats = Objects.requireNonNull(nats, "nats");
    this.webhooks = Objects.requireNonNull(webhooks, "webhooks");
    this.record = Objects.requireNonNull(record, "record");
    this.signer = Objects.requireNonNull(signer, "signer");
  }

  /** The NATS header holding an event's detached signature. */
  public static final String SIGNATURE_HEADER = "Vouch-Signature";

  /** The JWS {@code typ} of event signatures. */
  public static final String SIGNATURE_TYPE = "vouch-status-event+jws";

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
            byte[] body = change.toJson();
            Headers headers = new Headers();
            if (signer.isPresent()) {
              headers.put(SIGNATURE_HEADER, signer.get().signDetached(body));
            }
            c.publish(subjectFor(change.hostId()), headers, body);
            natsPublished.incrementAndGet();
          } catch (RuntimeException | VerificationException e) {
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
