package dev.vouch.server.hosts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vouch.agent.sim.SimulatedFleet;
import dev.vouch.agent.sim.SimulatedHost;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.server.registrar.InMemoryEnrollmentStore;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The verifier's host attestation ({@link HostAttestor} over {@link NatsAgentChannel} and a real
 * nats-server) against simulated hosts: what it accepts from an honest one, and each way a
 * dishonest or changed one is caught.
 */
class SimulatedHostAttestationTest {
  static NatsServer server;
  static Connection hostSide;
  static Connection verifierSide;
  static SimulatedFleet fleet;
  static InMemoryEnrollmentStore store;
  static HostAttestor attestor;

  @BeforeAll
  static void start() throws Exception {
    server = NatsServer.start();
    hostSide = Nats.connect(server.url());
    verifierSide = Nats.connect(server.url());
    fleet = SimulatedFleet.start(hostSide, "sim", 5);
    store = new InMemoryEnrollmentStore();
    SimulatedEnrollment.enrollAll(fleet, store, Instant.now());
    attestor =
        new HostAttestor(
            store,
            new NatsAgentChannel(verifierSide, Duration.ofSeconds(10)),
            QuotePlan.firmware(),
            Clock.systemUTC(),
            new SecureRandom());
  }

  @AfterAll
  static void stop() throws Exception {
    if (fleet != null) {
      fleet.close();
    }
    for (Connection c : new Connection[] {hostSide, verifierSide}) {
      if (c != null) {
        c.close();
      }
    }
    if (server != null) {
      server.close();
    }
  }

  private static Failure failure(String hostId) {
    return catchThrowableOfType(VerificationException.class, () -> attestor.attest(hostId))
        .failure();
  }

  @Test
  void acceptsAnHonestHostWithItsFirmwareLogAndSecureBootState() throws Exception {
    HostAttestation a = attestor.attest("sim-0000");

    assertThat(a.hostId()).isEqualTo("sim-0000");
    assertThat(a.eventLogVerified()).isTrue();
    assertThat(a.secureBoot()).contains(true);
    // the checks are TpmEvidenceVerifier's, under the host's enrolled AK
    assertThat(a.claims().get(dev.vouch.evidence.tpm.TpmClaims.AK_TRUST))
        .isEqualTo(dev.vouch.evidence.tpm.TpmClaims.AK_TRUST_ENROLLED);
    byte[] log = SimulatedHost.FirmwareLog.keylimeSecureBoot().bytes();
    assertThat(a.pcrs().get(HashAlg.SHA256, 7))
        .hasValue(TcgEventLog.parse(log).replay().get(HashAlg.SHA256, 7).orElseThrow());
    assertThat(a.host().osName()).isEqualTo("Vouch Simulated OS");
    assertThat(fleet.quotesServed("sim-0000")).hasSize(1);
  }

  @Test
  void rejectsAForgedSignature() {
    fleet.host("sim-0001").answer(SimulatedHost.Answer.BAD_SIGNATURE);
    assertThat(failure("sim-0001")).isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void rejectsAQuoteOverAnotherNonce() {
    fleet.host("sim-0002").answer(SimulatedHost.Answer.WRONG_NONCE);
    assertThat(failure("sim-0002")).isEqualTo(Failure.NONCE_MISMATCH);
  }

  @Test
  void rejectsALogWhoseSecureBootDataWasChangedWithItsDigestsKept() {
    fleet.host("sim-0003").answer(SimulatedHost.Answer.FORGED_SECURE_BOOT);
    try {
      VerificationException e =
          catchThrowableOfType(VerificationException.class, () -> attestor.attest("sim-0003"));
      assertThat(e.failure()).isEqualTo(Failure.EVENT_DIGEST_MISMATCH);
      assertThat(e.getMessage()).contains("EV_EFI_VARIABLE_DRIVER_CONFIG").contains("PCR 7");
    } finally {
      fleet.host("sim-0003").answer(SimulatedHost.Answer.HONEST);
    }
  }

  @Test
  void rejectsARegisterTheLogDoesNotExplain() throws Exception {
    attestor.attest("sim-0003");
    fleet.tamper("sim-0003");
    assertThat(failure("sim-0003")).isEqualTo(Failure.EVENT_LOG_MISMATCH);
  }

  @Test
  void rejectsAnotherHostsKeyAnsweringForTheEnrolledOne() {
    // sim-0004 enrolled with sim-0000's AK: the answer's AK is not the enrolled one
    store.putHost(
        SimulatedEnrollment.record("sim-0004", fleet.host("sim-0000").tpm(), Instant.now()));
    try {
      assertThat(failure("sim-0004")).isEqualTo(Failure.KEY_MISMATCH);
    } finally {
      store.putHost(
          SimulatedEnrollment.record("sim-0004", fleet.host("sim-0004").tpm(), Instant.now()));
    }
  }

  @Test
  void readsTheResetCountOfEachBoot() throws Exception {
    HostAttestation before = attestor.attest("sim-0004");
    fleet.reboot("sim-0004");

    HostAttestation after = attestor.attest("sim-0004");

    assertThat(after.resetCount()).isEqualTo(before.resetCount() + 1);
    assertThat(after.pcrs()).isEqualTo(before.pcrs());
  }
}
