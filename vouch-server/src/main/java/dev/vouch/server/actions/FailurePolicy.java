package dev.vouch.server.actions;

import dev.vouch.policy.flavor.HostStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * Chooses what to do about a host's status, given the previous one.
 *
 * <ul>
 *   <li>Into or staying in a failure status ({@link HostStatus#isFailure()}): label the node {@code
 *       untrusted} first (it loses {@code verified} before anything else), publish the event and
 *       cordon the node. Cordoning is idempotent, so a repeated failure writes nothing to the node
 *       but still publishes; and a cordon that failed last time is tried again. Pods are evicted
 *       (when configured) only on the transition into failure.
 *   <li>Any other change (including recovery to VERIFIED): label the node by the new status, and
 *       publish. A node is never uncordoned here: that takes an administrator's fresh onboarding;
 *       and {@code verified} is only asked for with a (signed) trust report behind it, while a
 *       lower label never waits for one.
 *   <li>A changed golden baseline ({@code baseline-changed}): publish, whatever the status.
 *   <li>An IMA restart ({@code ima-restart}): publish only; the host's status event, if any, is
 *       decided on its own.
 *   <li>No change and not a failure: nothing.
 * </ul>
 *
 * @param evictPods also evict the node's pods on the transition into failure
 */
public record FailurePolicy(boolean evictPods) {

  /** One thing to do; carried out by {@link FailureResponder}. */
  public sealed interface Action permits Label, Publish, Cordon, Evict {}

  /** Set the node's {@code vouch.dev/trust} label. */
  public record Label(NodeTrust trust) implements Action {}

  /** Publish the status event on NATS and to webhooks. */
  public record Publish() implements Action {}

  /** Cordon the host's node with this reason. */
  public record Cordon(String reason) implements Action {}

  /** Evict the pods of the host's node. */
  public record Evict() implements Action {}

  public List<Action> decide(StatusChange change) {
    List<Action> actions = new ArrayList<>();
    if (change.imaRestart().isPresent()) {
      return List.of(new Publish());
    }
    if (change.current().isFailure()) {
      actions.add(new Label(NodeTrust.UNTRUSTED));
      actions.add(new Publish());
      actions.add(new Cordon(NodeActions.reasonFor(change)));
      if (evictPods && !change.previous().isFailure()) {
        actions.add(new Evict());
      }
    } else if (change.changed()) {
      NodeTrust trust = NodeTrust.of(change.current());
      if (trust != NodeTrust.VERIFIED || change.reportId().isPresent()) {
        actions.add(new Label(trust));
      }
      actions.add(new Publish());
    } else if (change.baseline().isPresent()) {
      actions.add(new Publish());
    }
    return List.copyOf(actions);
  }
}
