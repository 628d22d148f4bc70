package dev.vouch.server.hosts;

import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.protocol.NatsSubjects;
import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import dev.vouch.evidence.tpm.protocol.QuoteResponse;
import io.nats.client.Connection;
import io.nats.client.Message;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reaches agents over NATS request/reply on {@code vouch.agent.<hostId>.quote}; the agents connect
 * outward to the same NATS server, so hosts behind NAT can be attested.
 */
public final class NatsAgentChannel implements AgentChannel {
  private final Connection nats;
  private final Duration timeout;

  public NatsAgentChannel(Connection nats, Duration timeout) {
    this.nats = nats;
    this.timeout = timeout;
  }

  /** The subject a host's agent answers on. */
  public static String quoteSubject(String hostId) {
    return NatsSubjects.quote(hostId);
  }

  @Override
  public QuoteResponse quote(String hostId, QuoteRequest request)
      throws AgentException, VerificationException, InterruptedException {
    // while the connection is down jnats would buffer the request and send it on reconnect, long
    // after this attestation gave up: every host would then serve a stale quote at once
    Connection.Status status = nats.getStatus();
    if (status != Connection.Status.CONNECTED) {
      throw new AgentException("NATS is not connected (" + status + "); agent of " + hostId);
    }
    CompletableFuture<Message> pending = nats.request(quoteSubject(hostId), request.toJson());
    Message reply;
    try {
      reply = pending.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      pending.cancel(true);
      throw new AgentException("agent of " + hostId + " did not answer within " + timeout, e);
    } catch (ExecutionException | CancellationException e) {
      // jnats fails the future at once when no agent subscribes (no responders)
      throw new AgentException("no agent of " + hostId + " answers on NATS: " + e.getMessage(), e);
    }
    return Replies.read(reply.getData());
  }
}
