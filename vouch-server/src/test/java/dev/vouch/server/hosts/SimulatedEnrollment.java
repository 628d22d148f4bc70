package dev.vouch.server.hosts;

import dev.vouch.agent.sim.SimulatedFleet;
import dev.vouch.agent.sim.SimulatedTpm;
import dev.vouch.core.bytes.Hex;
import dev.vouch.server.registrar.EnrolledHost;
import dev.vouch.server.registrar.EnrollmentStore;
import java.time.Instant;

/**
 * Enrolls simulated hosts as the registrar would after credential activation: their AK's
 * TPM2B_PUBLIC and name. A simulated TPM has no EK certificate, so the record names none (all-zero
 * digest); nothing in attestation reads it.
 */
public final class SimulatedEnrollment {
  private static final String NO_EK_CERTIFICATE = Hex.encode(new byte[32]);

  private SimulatedEnrollment() {}

  /** The enrollment record of one simulated host. */
  public static EnrolledHost record(String hostId, SimulatedTpm tpm, Instant at) {
    return new EnrolledHost(hostId, NO_EK_CERTIFICATE, tpm.akTpm2bPublic(), tpm.akName(), at);
  }

  /** Enrolls every host of {@code fleet} into {@code store}. */
  public static void enrollAll(SimulatedFleet fleet, EnrollmentStore store, Instant at) {
    for (String id : fleet.hostIds()) {
      store.putHost(record(id, fleet.host(id).tpm(), at));
    }
  }
}
