package dev.vouch.server.actions;

/**
 * The Kubernetes API refused or failed a node action (not found is not an error: see {@link
 * NodeActions.Outcome}). The node may be unchanged; callers retry on the next attestation cycle.
 */
public final class NodeActionException extends Exception {
  public NodeActionException(String message, Throwable cause) {
    super(message, cause);
  }

  public NodeActionException(String message) {
    super(message);
  }
}
