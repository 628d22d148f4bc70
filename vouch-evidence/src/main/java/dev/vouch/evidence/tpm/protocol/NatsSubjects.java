package dev.vouch.evidence.tpm.protocol;

/**
 * The NATS subjects of the trust agent protocol, in one place for agents, verifiers and the
 * credentials that confine each agent to its own host's subjects. Host ids ({@link HostIds}) hold
 * no {@code .}, {@code *} or {@code >}, so each is exactly one subject token.
 */
public final class NatsSubjects {
  /** Where agents without per-agent credentials announced themselves; verifiers still listen. */
  public static final String SHARED_ANNOUNCE = "vouch.agent.announce";

  /** Every host's own announcement subject, for a verifier's subscription. */
  public static final String ANY_HOST_ANNOUNCE = "vouch.agent.*.announce";

  private NatsSubjects() {}

  /** The subject a host's agent answers quote requests on. */
  public static String quote(String hostId) {
    return "vouch.agent." + hostId + ".quote";
  }

  /** The subject a host's agent announces itself on. */
  public static String announce(String hostId) {
    return "vouch.agent." + hostId + ".announce";
  }
}
