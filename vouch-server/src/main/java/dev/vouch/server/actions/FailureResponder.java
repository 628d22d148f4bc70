package dev.vouch.server.actions;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Carries out the {@link FailurePolicy} for one status change: queues the trust label, publishes
 * the event, then queues the cordon (and eviction) of the host's nodes when Kubernetes is
 * configured. Node actions are only recorded here, never carried out: the {@link NodeActionQueue}
 * retries them until the API server has done them, so an attestation worker never waits on
 * Kubernetes.
 */
public final class FailureResponder {
  private static final Logger LOG = Logger.getLogger(FailureResponder.class.getName());

  /**
   * What was done.
   *
   * @param actions the actions the policy chose
   * @param queued the node actions recorded for the {@link NodeActionQueue}
   */
  public record Response(List<FailurePolicy.Action> actions, List<NodeActionQueue.Kind> queued) {
    public Response {
      actions = List.copyOf(actions);
      queued = List.copyOf(queued);
    }
  }

  private final FailurePolicy policy;
  private final StatusPublisher events;
  private final Optional<NodeActionQueue> nodes;

  public FailureResponder(
      FailurePolicy policy, StatusPublisher events, Optional<NodeActionQueue> nodes) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.events = Objects.requireNonNull(events, "events");
    this.nodes = Objects.requireNonNull(nodes, "nodes");
  }

  public Response respond(StatusChange change, HostRef host) {
    if (!change.hostId().equals(host.hostId())) {
      throw new IllegalArgumentException("status change and host differ");
    }
    List<FailurePolicy.Action> actions = policy.decide(change);
    List<NodeActionQueue.Kind> queued = new ArrayList<>();
    for (FailurePolicy.Action a : actions) {
      switch (a) {
        case FailurePolicy.Label l -> {
          if (nodes.isPresent()) {
            nodes.get().enqueue(host, NodeActionQueue.Kind.LABEL, l.trust().value());
            queued.add(NodeActionQueue.Kind.LABEL);
          }
        }
        case FailurePolicy.Publish p -> events.publish(change);
        case FailurePolicy.Cordon c -> {
          if (nodes.isPresent()) {
            nodes.get().enqueue(host, NodeActionQueue.Kind.CORDON, c.reason());
            queued.add(NodeActionQueue.Kind.CORDON);
          }
        }
        case FailurePolicy.Evict e -> {
          if (nodes.isPresent()) {
            nodes.get().enqueue(host, NodeActionQueue.Kind.EVICT, "evict");
            queued.add(NodeActionQueue.Kind.EVICT);
          }
        }
      }
    }
    LOG.info(
        () ->
            "host "
                + host.hostId()
                + ": "
                + change.previous()
                + " -> "
                + change.current()
                + ", actions "
                + actions.size()
                + ", node actions queued "
                + queued);
    return new Response(actions, queued);
  }
}
