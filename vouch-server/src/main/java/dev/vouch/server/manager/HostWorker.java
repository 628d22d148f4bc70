package dev.vouch.server.manager;

import dev.vouch.server.store.Database;
import java.util.Objects;

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

  /**
   * Attests {@code host} like {@link #attest}, but leaves the rows the outcome rests on (its signed
   * report) to {@code write}, which the scheduler runs in the transaction that records the outcome
   * under the host's lease: one transaction per attestation, and a result whose lease ran out
   * leaves no report behind. The default writes in {@link #attest} and defers nothing.
   */
  default Deferred attestDeferred(Host host) throws Exception {
    return new Deferred(attest(host), c -> null);
  }

  /**
   * An outcome and the rows still to be written with it.
   *
   * @param write runs inside the recording transaction
   */
  record Deferred(AttestationOutcome outcome, Database.Work<?> write) {
    public Deferred {
      Objects.requireNonNull(outcome, "outcome");
      Objects.requireNonNull(write, "write");
    }
  }
}
