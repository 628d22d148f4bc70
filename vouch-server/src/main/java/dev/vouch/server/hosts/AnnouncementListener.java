package dev.vouch.server.hosts;

import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.protocol.AgentAnnouncement;
import dev.vouch.evidence.tpm.protocol.NatsSubjects;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Hands every agent announcement on {@code vouch.agent.announce} (agent start, typically after a
 * reboot) to {@code onAnnounce}, which in the server makes the host due at once ({@code
 * AttestationScheduler.triggerNow}), so that the attestation runs under the scheduler's lease like
 * any other. Announcements are unsigned: they can only cause an attestation, never a result.
 * Malformed ones are logged and dropped.
 *
 * <p>Agents with NATS credentials ({@code NatsAuthority}) announce on their own subject {@code
 * vouch.agent.<hostId>.announce}, the only one their credentials let them publish to; an
 * announcement there that names another host is dropped, so one agent cannot make another host due.
 */
public final class AnnouncementListener implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(AnnouncementListener.class.getName());

  /** Where agents announce themselves. */
  public static final String ANNOUNCE_SUBJECT = NatsSubjects.SHARED_ANNOUNCE;

  /** Where {@code hostId}'s agent announces itself with per-agent credentials. */
  public static String announceSubject(String hostId) {
    return NatsSubjects.announce(hostId);
  }

  private final Connection nats;
  private final Dispatcher dispatcher;

  private AnnouncementListener(Connection nats, Dispatcher dispatcher) {
    this.nats = nats;
    this.dispatcher = dispatcher;
  }

  /** Subscribes; {@code onAnnounce} runs on the NATS dispatcher thread and must not block long. */
  public static AnnouncementListener start(
      Connection nats, Consumer<AgentAnnouncement> onAnnounce) {
    Dispatcher d =
        nats.createDispatcher(
            msg -> {
              AgentAnnouncement a;
              try {
                a = AgentAnnouncement.parse(msg.getData());
              } catch (VerificationException e) {
                LOG.info(() -> "ignored a malformed announcement: " + e.getMessage());
                return;
              }
              String subject = msg.getSubject();
              if (!subject.equals(ANNOUNCE_SUBJECT)
                  && !subject.equals(announceSubject(a.hostId()))) {
                LOG.info(() -> "ignored an announcement for " + a.hostId() + " on " + subject);
                return;
              }
              LOG.info(() -> "host " + a.hostId() + ": announced");
              try {
                onAnnounce.accept(a);
              } catch (RuntimeException e) {
                LOG.warning(() -> "host " + a.hostId() + ": announcement not handled: " + e);
              }
            });
    d.subscribe(ANNOUNCE_SUBJECT);
    d.subscribe(NatsSubjects.ANY_HOST_ANNOUNCE);
    return new AnnouncementListener(nats, d);
  }

  @Override
  public void close() {
    nats.closeDispatcher(dispatcher);
  }
}
