package dev.vouch.server.actions;

import java.util.Objects;
import java.util.Optional;

/**
 * How {@link NodeActions} marks a node and finds a host's node.
 *
 * @param taintKey the taint (and annotation prefix) owner key, {@code vouch.dev/attestation}
 * @param taintValue the taint value, {@code failed}
 * @param noExecute also add a NoExecute taint, so running pods without a toleration are evicted by
 *     Kubernetes itself
 * @param hostLabel the node label whose value is the host id; empty: the node whose name equals the
 *     host name (ignoring case, also the short name before the first dot)
 * @param maxAttempts how many read-modify-write attempts a node change gets when others write the
 *     node concurrently (HTTP 409); at least 1
 */
public record NodeActionSettings(
    String taintKey,
    String taintValue,
    boolean noExecute,
    Optional<String> hostLabel,
    int maxAttempts) {
  public static final String DEFAULT_TAINT_KEY = "vouch.dev/attestation";

  public NodeActionSettings {
    Objects.requireNonNull(taintKey, "taintKey");
    Objects.requireNonNull(taintValue, "taintValue");
    Objects.requireNonNull(hostLabel, "hostLabel");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
  }

  /** NoSchedule only, node name equals host name, 5 attempts. */
  public static NodeActionSettings defaults() {
    return new NodeActionSettings(DEFAULT_TAINT_KEY, "failed", false, Optional.empty(), 5);
  }

  public NodeActionSettings withNoExecute(boolean on) {
    return new NodeActionSettings(taintKey, taintValue, on, hostLabel, maxAttempts);
  }

  public NodeActionSettings withHostLabel(String label) {
    return new NodeActionSettings(taintKey, taintValue, noExecute, Optional.of(label), maxAttempts);
  }
}
