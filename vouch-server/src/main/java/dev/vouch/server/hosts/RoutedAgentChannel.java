package dev.vouch.server.hosts;

import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import dev.vouch.evidence.tpm.protocol.QuoteResponse;
import java.net.URI;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reaches each host over the transport its enrollment names: {@code nats} for agents that answer on
 * NATS, an {@code https://} URL for agents serving quotes over mutual TLS. A host whose transport
 * is not configured on this server cannot be asked ({@link AgentException}).
 */
public final class RoutedAgentChannel implements AgentChannel {
  /** The connection value of agents reached over NATS. */
  public static final String NATS = "nats";

  private final Function<String, Optional<String>> connectionOf;
  private final Optional<AgentChannel> nats;
  private final Optional<AgentChannel> https;

  /**
   * @param connectionOf a host's connection as enrolled ({@code nats} or an https URL)
   * @param nats the NATS channel, when the server has a NATS connection
   * @param https the HTTPS channel, when the server has agent TLS material
   */
  public RoutedAgentChannel(
      Function<String, Optional<String>> connectionOf,
      Optional<AgentChannel> nats,
      Optional<AgentChannel> https) {
    this.connectionOf = connectionOf;
    this.nats = nats;
    this.https = https;
  }

  /** The agent URL of an {@code https://} connection, for {@link HttpsAgentChannel}. */
  public static Optional<URI> httpsUrl(String connection) {
    if (!connection.startsWith("https://")) {
      return Optional.empty();
    }
    try {
      return Optional.of(URI.create(connection));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  @Override
  public QuoteResponse quote(String hostId, QuoteRequest request)
      throws AgentException, VerificationException, InterruptedException {
    String connection =
        connectionOf
            .apply(hostId)
            .orElseThrow(() -> new AgentException("host " + hostId + " has no connection"));
    return quote(hostId, connection, request);
  }

  @Override
  public QuoteResponse quote(String hostId, String connection, QuoteRequest request)
      throws AgentException, VerificationException, InterruptedException {
    AgentChannel channel;
    if (NATS.equals(connection)) {
      channel =
          nats.orElseThrow(
              () ->
                  new AgentException(
                      "host " + hostId + " answers over NATS; hosts.nats_url is not configured"));
    } else if (httpsUrl(connection).isPresent()) {
      channel =
          https.orElseThrow(
              () ->
                  new AgentException(
                      "host "
                          + hostId
                          + " answers over HTTPS; hosts.agent_tls_* are not configured"));
    } else {
      throw new AgentException("host " + hostId + ": unknown connection '" + connection + "'");
    }
    return channel.quote(hostId, connection, request);
  }
}
