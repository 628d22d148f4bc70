package dev.vouch.agent.trust;

import dev.vouch.agent.tpm.TpmException;
import dev.vouch.evidence.tpm.protocol.NatsSubjects;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import java.util.logging.Logger;

/**
 * The trust agent over NATS request/reply, for hosts a verifier cannot reach (NAT, firewalls): the
 * agent connects outward, answers requests on {@code vouch.agent.<hostId>.quote} (a {@link
 * dev.vouch.evidence.tpm.protocol.QuoteRequest} in, a {@link
 * dev.vouch.evidence.tpm.protocol.QuoteResponse} or {@link
 * dev.vouch.evidence.tpm.protocol.AgentProblem} back), and publishes an {@link
 * dev.vouch.evidence.tpm.protocol.AgentAnnouncement} on {@link #announceSubject} when it starts
 * (its own subject: per-agent NATS credentials, see {@link NatsCredentials}, allow publishing there
 * and nowhere else). The connection (its server URL, TLS and credentials) is the caller's.
 */
public final class NatsAgentService implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(NatsAgentService.class.getName());

  /** Where agents without per-agent credentials announced themselves (still heard by servers). */
  public static final String ANNOUNCE_SUBJECT = NatsSubjects.SHARED_ANNOUNCE;

  /** Where a host's agent announces itself. */
  public static String announceSubject(String hostId) {
    return NatsSubjects.announce(hostId);
  }

  private final Connection nats;
  private final Dispatcher dispatcher;

  private NatsAgentService(Connection nats, Dispatcher dispatcher) {
    this.nats = nats;
    this.dispatcher = dispatcher;
  }

  /** The subject a host's agent answers quote requests on. */
  public static String quoteSubject(String hostId) {
    return NatsSubjects.quote(hostId);
  }

  /**
   * Subscribes, waits until the server has the subscription (so that a verifier reacting to the
   * announcement reaches the agent), then announces.
   */
  public static NatsAgentService start(TrustAgent agent, Connection nats)
      throws TpmException, InterruptedException {
    QuoteService service = new QuoteService(agent);
    Dispatcher d =
        nats.createDispatcher(
            (Message msg) -> {
              if (msg.getReplyTo() == null) {
                return; // a request nobody waits for
              }
              nats.publish(msg.getReplyTo(), service.handle(msg.getData()).body());
            });
    d.subscribe(quoteSubject(agent.hostId()));
    try {
      nats.flush(java.time.Duration.ofSeconds(5));
    } catch (java.util.concurrent.TimeoutException e) {
      LOG.warning(() -> "host " + agent.hostId() + ": NATS flush timed out; announcing anyway");
    }
    nats.publish(announceSubject(agent.hostId()), agent.announcement().toJson());
    LOG.info(
        () -> "host " + agent.hostId() + ": serving quotes on " + quoteSubject(agent.hostId()));
    return new NatsAgentService(nats, d);
  }

  /** Unsubscribes; the connection stays open (it is the caller's). */
  @Override
  public void close() {
    nats.closeDispatcher(dispatcher);
  }
}
