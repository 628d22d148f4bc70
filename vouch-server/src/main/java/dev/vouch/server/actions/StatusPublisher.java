package dev.vouch.server.actions;

/** Where status events go; {@link AttestationEvents} is the production one. */
@FunctionalInterface
public interface StatusPublisher {
  /** Hands the event on; must return promptly and never throw for a delivery problem. */
  void publish(StatusChange change);
}
