package dev.vouch.server.hosts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Routing of quote requests by a host's enrolled connection: a caller that holds the connection
 * (the scheduler's host record) is routed without another database read; one that does not is
 * routed after exactly one. The channels behind the router record what reached them and refuse, as
 * the router is all that is under test here (the channels themselves are tested with NATS and HTTPS
 * agents in SimulatedHostAttestationTest and ServerReplicasTest).
 */
class RoutedAgentChannelTest {
  private static final QuoteRequest REQUEST =
      new QuoteRequest(new byte[32], QuotePlan.firmware().pcrs(), true, OptionalLong.empty());

  private final AtomicInteger lookups = new AtomicInteger();
  private final List<String> reached = new ArrayList<>();

  private AgentChannel recording(String name) {
    return new AgentChannel() {
      @Override
      public dev.vouch.evidence.tpm.protocol.QuoteResponse quote(String hostId, QuoteRequest r)
          throws AgentException {
        reached.add(name + " " + hostId);
        throw new AgentException("recorded");
      }

      @Override
      public dev.vouch.evidence.tpm.protocol.QuoteResponse quote(
          String hostId, String connection, QuoteRequest r) throws AgentException {
        reached.add(name + " " + hostId + " " + connection);
        throw new AgentException("recorded");
      }
    };
  }

  private RoutedAgentChannel router(String enrolled) {
    return new RoutedAgentChannel(
        id -> {
          lookups.incrementAndGet();
          return Optional.of(enrolled);
        },
        Optional.of(recording("nats")),
        Optional.of(recording("https")));
  }

  @Test
  void aConnectionTheCallerHoldsIsNotReadAgain() {
    RoutedAgentChannel r = router("nats");
    assertThatThrownBy(() -> r.quote("h1", "nats", REQUEST)).hasMessage("recorded");
    assertThatThrownBy(() -> r.quote("h2", "https://agent.example:9443", REQUEST))
        .hasMessage("recorded");
    assertThat(lookups.get()).isZero();
    assertThat(reached).containsExactly("nats h1 nats", "https h2 https://agent.example:9443");
  }

  @Test
  void withoutAConnectionItIsReadOnce() {
    RoutedAgentChannel r = router("https://agent.example:9443");
    assertThatThrownBy(() -> r.quote("h1", REQUEST)).hasMessage("recorded");
    assertThat(lookups.get()).isEqualTo(1);
    assertThat(reached).containsExactly("https h1 https://agent.example:9443");
  }

  @Test
  void anUnknownConnectionOrAMissingChannelIsRefused() {
    RoutedAgentChannel r = router("nats");
    assertThatThrownBy(() -> r.quote("h1", "ftp://x", REQUEST))
        .isInstanceOf(AgentException.class)
        .hasMessageContaining("unknown connection");
    RoutedAgentChannel natsOnly =
        new RoutedAgentChannel(
            id -> Optional.empty(), Optional.of(recording("nats")), Optional.empty());
    assertThatThrownBy(() -> natsOnly.quote("h1", "https://agent.example:9443", REQUEST))
        .isInstanceOf(AgentException.class)
        .hasMessageContaining("hosts.agent_tls_*");
    assertThatThrownBy(() -> natsOnly.quote("h1", REQUEST))
        .isInstanceOf(AgentException.class)
        .hasMessageContaining("has no connection");
    assertThat(reached).isEmpty();
  }
}
