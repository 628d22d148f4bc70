package dev.vouch.server.manager;

/**
 * Attests one host (in the server, through {@code hosts.HostAttestor} over the host's agent
 * channel). Called on a virtual thread while the scheduler holds the host's lease.
 */
@FunctionalInterface
public interface HostWorker {
  /**
   * Attests {@code host}. A thrown exception counts as an attestation that could not be completed
   * (status {@code UNKNOWN}, with the message as the reason).
   */
  AttestationOutcome attest(Host host) throws Exception;
}
