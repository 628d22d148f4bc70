package dev.vouch.server.hosts;

import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.protocol.AgentAnnouncement;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;
import java.util.logging.Logger;

/**
 * Attests a host as soon as its agent announces itself on {@code vouch.agent.announce} (agent
 * start, typically after a reboot). Each attestation runs on its own virtual thread; the outcome
 * goes to {@code outcome} as (attestation, null) or (null, failure).
 */
public final class AnnouncementListener implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(AnnouncementListener.class.getName());

  /** Where agents announce themselves. */
  public static final String ANNOUNCE_SUBJECT = "vouch.agent.announce";

  private final Connection nats;
  private final Dispatcher dispatcher;
  private final ExecutorService executor;

  private AnnouncementListener(Connection nats, Dispatcher dispatcher, ExecutorService executor) {
    this.nats = nats;
    this.dispatcher = dispatcher;
    this.executor = executor;
  }

  public static AnnouncementListener start(
      Connection nats, HostAttestor attestor, BiConsumer<HostAttestation, Exception> outcome) {
    ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
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
              LOG.info(() -> "host " + a.hostId() + ": announced, attesting");
              executor.submit(
                  () -> {
                    try {
                      outcome.accept(attestor.attest(a.hostId()), null);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    } catch (Exception e) {
                      outcome.accept(null, e);
                    }
                  });
            });
    d.subscribe(ANNOUNCE_SUBJECT);
    return new AnnouncementListener(nats, d, executor);
  }

  @Override
  public void close() {
    nats.closeDispatcher(dispatcher);
    executor.shutdownNow();
  }
}
