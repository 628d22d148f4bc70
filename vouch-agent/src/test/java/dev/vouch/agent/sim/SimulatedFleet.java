package dev.vouch.agent.sim;

import dev.vouch.agent.trust.NatsAgentService;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.protocol.AgentProblem;
import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many {@link SimulatedHost}s served over one NATS connection, each answering on its own agent
 * subject ({@link NatsAgentService#quoteSubject}) exactly where a real agent would, so a verifier's
 * {@code NatsAgentChannel} cannot tell them from agents (a request for a host that is not in the
 * fleet finds no responder, as for a host that is down). The subscriptions are spread over a few
 * dispatchers (one per core, at most four): a quote costs one software ECDSA signature, so 2000
 * hosts attested every few seconds fit on two cores.
 *
 * <p>The fleet records when it served each host a quote, so tests can check how often each host was
 * attested. Answers with a problem (a malformed request, a bank the TPM lacks) are not counted.
 */
public final class SimulatedFleet implements AutoCloseable {
  /** The register {@link #tamper} changes: PCR 4, where the boot loader is measured. */
  public static final int TAMPERED_PCR = 4;

  private final Connection nats;
  private final Clock clock;
  private final Map<String, SimulatedHost> hosts;
  private final Map<String, Queue<Instant>> served;
  private final AtomicLong servedTotal = new AtomicLong();
  private final List<Dispatcher> dispatchers = new ArrayList<>();
  private final QuoteObserver observer;

  /** Told of every quote served, e.g. by a load generator timing the agents' side. */
  @FunctionalInterface
  public interface QuoteObserver {
    /**
     * @param receivedNanos {@link System#nanoTime} when the request reached the host's handler
     * @param repliedNanos when the answer had been handed to the NATS connection
     */
    void served(String hostId, long receivedNanos, long repliedNanos);
  }

  private SimulatedFleet(
      Connection nats, Clock clock, Map<String, SimulatedHost> hosts, QuoteObserver observer) {
    this.nats = nats;
    this.observer = observer;
    this.clock = clock;
    this.hosts = hosts;
    this.served = new LinkedHashMap<>();
    hosts.keySet().forEach(id -> served.put(id, new ConcurrentLinkedQueue<>()));
  }

  /** Host ids {@code prefix-0000}, {@code prefix-0001}, ... */
  public static List<String> hostIds(String prefix, int count) {
    List<String> ids = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ids.add(String.format("%s-%04d", prefix, i));
    }
    return ids;
  }

  /**
   * Boots {@code count} hosts named by {@link #hostIds} with the keylime Secure Boot firmware log,
   * each with a fresh AK, and serves them on {@code nats}.
   */
  public static SimulatedFleet start(Connection nats, String prefix, int count)
      throws InterruptedException {
    return start(
        nats,
        hostIds(prefix, count),
        SimulatedHost.FirmwareLog.keylimeSecureBoot(),
        new SecureRandom(),
        Clock.systemUTC());
  }

  /**
   * Boots one host per id with {@code firmware} and serves them on {@code nats}; returns once the
   * NATS server has every subscription, so requests sent afterwards reach the hosts.
   *
   * @param clock stamps the quotes served
   */
  public static SimulatedFleet start(
      Connection nats,
      List<String> hostIds,
      SimulatedHost.FirmwareLog firmware,
      SecureRandom random,
      Clock clock)
      throws InterruptedException {
    return start(nats, hostIds, firmware, random, clock, (id, received, replied) -> {});
  }

  /**
   * As {@link #start(Connection, List, SimulatedHost.FirmwareLog, SecureRandom, Clock)}, telling
   * {@code observer} of every quote served.
   */
  public static SimulatedFleet start(
      Connection nats,
      List<String> hostIds,
      SimulatedHost.FirmwareLog firmware,
      SecureRandom random,
      Clock clock,
      QuoteObserver observer)
      throws InterruptedException {
    Map<String, SimulatedHost> hosts = new LinkedHashMap<>();
    for (String id : hostIds) {
      hosts.put(id, new SimulatedHost(id, new SimulatedTpm(random), firmware));
    }
    SimulatedFleet fleet = new SimulatedFleet(nats, clock, hosts, observer);
    int lanes = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    for (int i = 0; i < lanes; i++) {
      fleet.dispatchers.add(nats.createDispatcher());
    }
    int i = 0;
    for (SimulatedHost h : hosts.values()) {
      fleet
          .dispatchers
          .get(i++ % lanes)
          .subscribe(
              NatsAgentService.quoteSubject(h.hostId()),
              msg -> {
                if (msg.getReplyTo() != null) {
                  long received = System.nanoTime();
                  Queue<Instant> times = fleet.served.get(h.hostId());
                  int before = times.size();
                  nats.publish(msg.getReplyTo(), fleet.serve(h, msg.getData()));
                  // a problem answer is no quote served (a host's requests come on one thread)
                  if (times.size() != before) {
                    fleet.observer.served(h.hostId(), received, System.nanoTime());
                  }
                }
              });
    }
    try {
      nats.flush(Duration.ofSeconds(10));
    } catch (TimeoutException e) {
      fleet.close();
      throw new IllegalStateException("the NATS server did not confirm the subscriptions", e);
    }
    return fleet;
  }

  /** What the agent's request handling answers: a quote response, or a problem document. */
  private byte[] serve(SimulatedHost host, byte[] requestJson) {
    QuoteRequest request;
    try {
      request = QuoteRequest.parse(requestJson);
    } catch (VerificationException e) {
      return new AgentProblem(e.failure().code(), 400, e.getMessage()).toJson();
    }
    byte[] body;
    try {
      body = host.answer(request).toJson();
    } catch (IllegalArgumentException e) {
      return new AgentProblem(AgentProblem.TPM_ERROR, 500, e.getMessage()).toJson();
    }
    served.get(host.hostId()).add(clock.instant());
    servedTotal.incrementAndGet();
    return body;
  }

  /** The hosts' ids, in start order. */
  public List<String> hostIds() {
    return List.copyOf(hosts.keySet());
  }

  /**
   * The host with this id.
   *
   * @throws IllegalArgumentException when the fleet has no such host
   */
  public SimulatedHost host(String hostId) {
    SimulatedHost h = hosts.get(hostId);
    if (h == null) {
      throw new IllegalArgumentException("no simulated host " + hostId);
    }
    return h;
  }

  /** When each quote of {@code hostId} was served, oldest first. */
  public List<Instant> quotesServed(String hostId) {
    host(hostId);
    return List.copyOf(served.get(hostId));
  }

  /** Quotes served to all hosts so far. */
  public long totalServed() {
    return servedTotal.get();
  }

  /** Changes a measured register of {@code hostId} behind its event log's back. */
  public void tamper(String hostId) {
    host(hostId).tamper(TAMPERED_PCR);
  }

  /** Reboots {@code hostId} and publishes its agent's start announcement, as a real restart. */
  public void reboot(String hostId) {
    nats.publish(NatsAgentService.announceSubject(hostId), host(hostId).reboot().toJson());
  }

  /** Stops answering; the connection stays open (it is the caller's). */
  @Override
  public void close() {
    for (Dispatcher d : dispatchers) {
      nats.closeDispatcher(d);
    }
    dispatchers.clear();
  }
}
