package dev.vouch.server.actions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Carries out the {@link FailurePolicy} for one status change: publishes the event, then cordons
 * (and evicts) the host's nodes when Kubernetes is configured. Node problems do not throw: they are
 * in the {@link Response} and the log, and the next failing attestation tries again.
 */
public final class FailureResponder {
  private static final Logger LOG = Logger.getLogger(FailureResponder.class.getName());

  /**
   * What was done.
   *
   * @param actions the actions the policy chose
   * @param cordoned per node of the host: the cordon outcome
   * @param evictions per node: what eviction did
   * @param errors node actions that failed, one line each
   */
  public record Response(
      List<FailurePolicy.Action> actions,
      Map<String, NodeActions.Outcome> cordoned,
      Map<String, NodeActions.Eviction> evictions,
      List<String> errors) {
    public Response {
      actions = List.copyOf(actions);
      cordoned = Map.copyOf(cordoned);
      evictions = Map.copyOf(evictions);
      errors = List.copyOf(errors);
    }
  }

  private final FailurePolicy policy;
  private final StatusPublisher events;
  private final Optional<NodeActions> nodes;

  public FailureResponder(
      FailurePolicy policy, StatusPublisher events, Optional<NodeActions> nodes) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.events = Objects.requireNonNull(events, "events");
    this.nodes = Objects.requireNonNull(nodes, "nodes");
  }

  public Response respond(StatusChange change, HostRef host) {
    if (!change.hostId().equals(host.hostId())) {
      throw new IllegalArgumentException("status change and host differ");
    }
    List<FailurePolicy.Action> actions = policy.decide(change);
    Map<String, NodeActions.Outcome> cordoned = new LinkedHashMap<>();
    Map<String, NodeActions.Eviction> evictions = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    List<String> nodeNames = null;
    for (FailurePolicy.Action a : actions) {
      switch (a) {
        case FailurePolicy.Publish p -> events.publish(change);
        case FailurePolicy.Cordon c -> {
          if (nodes.isEmpty()) {
            break;
          }
          nodeNames = nodeNames != null ? nodeNames : locate(host, errors);
          if (nodeNames.isEmpty() && errors.isEmpty()) {
            LOG.warning(() -> "host " + host.hostId() + ": no Kubernetes node to cordon");
          }
          for (String n : nodeNames) {
            try {
              cordoned.put(n, nodes.get().cordon(n, c.reason()));
            } catch (NodeActionException e) {
              errors.add(e.getMessage());
            }
          }
        }
        case FailurePolicy.Evict e -> {
          if (nodes.isEmpty()) {
            break;
          }
          nodeNames = nodeNames != null ? nodeNames : locate(host, errors);
          for (String n : nodeNames) {
            try {
              evictions.put(n, nodes.get().evictPods(n));
            } catch (NodeActionException x) {
              errors.add(x.getMessage());
            }
          }
        }
      }
    }
    errors.forEach(e -> LOG.warning(() -> "host " + host.hostId() + ": " + e));
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
                + ", nodes "
                + cordoned);
    return new Response(actions, cordoned, evictions, errors);
  }

  private List<String> locate(HostRef host, List<String> errors) {
    try {
      return nodes.orElseThrow().nodesOf(host);
    } catch (NodeActionException e) {
      errors.add(e.getMessage());
      return List.of();
    }
  }
}
