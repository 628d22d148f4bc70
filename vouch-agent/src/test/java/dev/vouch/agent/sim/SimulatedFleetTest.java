package dev.vouch.agent.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.agent.trust.NatsAgentService;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.core.Failure;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmAttest;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.TpmQuoteVerifier;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.evidence.tpm.protocol.AgentAnnouncement;
import dev.vouch.evidence.tpm.protocol.AgentProblem;
import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import dev.vouch.evidence.tpm.protocol.QuoteResponse;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Simulated hosts answering over a real nats-server as trust agents do. */
class SimulatedFleetTest {
  private static final QuoteRequest FIRMWARE =
      new QuoteRequest(
          new byte[] {9, 8, 7, 6},
          Map.of(HashAlg.SHA256, new TreeSet<>(List.of(0, 1, 2, 3, 4, 5, 6, 7))),
          true,
          OptionalLong.empty());

  private static byte[] ask(Connection c, String hostId, byte[] body) throws Exception {
    return c.request(NatsAgentService.quoteSubject(hostId), body)
        .get(10, TimeUnit.SECONDS)
        .getData();
  }

  @Test
  void eachHostAnswersOnItsSubjectWithAQuoteItsLogReplaysTo() throws Exception {
    try (NatsServer server = NatsServer.start();
        Connection verifier = Nats.connect(server.url());
        Connection hosts = Nats.connect(server.url());
        SimulatedFleet fleet = SimulatedFleet.start(hosts, "sim", 3)) {
      assertThat(fleet.hostIds()).containsExactly("sim-0000", "sim-0001", "sim-0002");

      QuoteResponse r = QuoteResponse.parse(ask(verifier, "sim-0001", FIRMWARE.toJson()));

      assertThat(r.hostId()).isEqualTo("sim-0001");
      TpmEvidenceBundle e = r.evidence();
      assertThat(e.ak().name()).contains(fleet.host("sim-0001").tpm().akName());
      TpmQuoteVerifier.verify(e, Expectations.withNonce(FIRMWARE.nonce()));
      PcrValues replayed = TcgEventLog.parse(e.eventLog().orElseThrow()).replay();
      for (int i = 0; i <= 7; i++) {
        assertThat(e.pcrs().get(HashAlg.SHA256, i))
            .hasValue(replayed.get(HashAlg.SHA256, i).orElseThrow());
      }
      assertThat(r.host()).isEqualTo(SimulatedHost.FACTS);
      assertThat(fleet.quotesServed("sim-0001")).hasSize(1);
      assertThat(fleet.quotesServed("sim-0000")).isEmpty();
      assertThat(fleet.totalServed()).isEqualTo(1);
    }
  }

  @Test
  void refusesAsTheAgentDoesAndUnknownHostsHaveNoResponder() throws Exception {
    try (NatsServer server = NatsServer.start();
        Connection verifier = Nats.connect(server.url());
        Connection hosts = Nats.connect(server.url());
        SimulatedFleet fleet = SimulatedFleet.start(hosts, "sim", 1)) {
      AgentProblem malformed =
          AgentProblem.parse(ask(verifier, "sim-0000", "{".getBytes(StandardCharsets.UTF_8)));
      assertThat(malformed.code()).isEqualTo(Failure.MALFORMED.code());
      QuoteRequest sha1 =
          new QuoteRequest(
              new byte[] {1},
              Map.of(HashAlg.SHA1, new TreeSet<>(List.of(0))),
              false,
              OptionalLong.empty());
      assertThat(AgentProblem.parse(ask(verifier, "sim-0000", sha1.toJson())).code())
          .isEqualTo(AgentProblem.TPM_ERROR);
      assertThat(fleet.totalServed()).isZero();

      // jnats cancels a request at once when the server reports no responders
      assertThatThrownBy(() -> ask(verifier, "sim-0001", FIRMWARE.toJson()))
          .isInstanceOf(CancellationException.class);
    }
  }

  @Test
  void misbehavingTamperedAndRebootedHostsShowItInTheirQuotes() throws Exception {
    try (NatsServer server = NatsServer.start();
        Connection verifier = Nats.connect(server.url());
        Connection hosts = Nats.connect(server.url());
        SimulatedFleet fleet = SimulatedFleet.start(hosts, "sim", 1)) {
      Subscription announcements =
          verifier.subscribe(dev.vouch.evidence.tpm.protocol.NatsSubjects.ANY_HOST_ANNOUNCE);
      verifier.flush(Duration.ofSeconds(5));
      SimulatedHost host = fleet.host("sim-0000");
      Expectations nonce = Expectations.withNonce(FIRMWARE.nonce());

      host.answer(SimulatedHost.Answer.BAD_SIGNATURE);
      TpmEvidenceBundle forged =
          QuoteResponse.parse(ask(verifier, "sim-0000", FIRMWARE.toJson())).evidence();
      assertThatThrownBy(() -> TpmQuoteVerifier.verify(forged, nonce))
          .hasFieldOrPropertyWithValue("failure", Failure.SIGNATURE_INVALID);
      host.answer(SimulatedHost.Answer.WRONG_NONCE);
      TpmEvidenceBundle stale =
          QuoteResponse.parse(ask(verifier, "sim-0000", FIRMWARE.toJson())).evidence();
      assertThatThrownBy(() -> TpmQuoteVerifier.verify(stale, nonce))
          .hasFieldOrPropertyWithValue("failure", Failure.NONCE_MISMATCH);
      host.answer(SimulatedHost.Answer.HONEST);

      fleet.tamper("sim-0000");
      TpmEvidenceBundle tampered =
          QuoteResponse.parse(ask(verifier, "sim-0000", FIRMWARE.toJson())).evidence();
      TpmQuoteVerifier.verify(tampered, nonce); // the TPM signs what it holds
      PcrValues replayed = TcgEventLog.parse(tampered.eventLog().orElseThrow()).replay();
      assertThat(tampered.pcrs().get(HashAlg.SHA256, SimulatedFleet.TAMPERED_PCR).orElseThrow())
          .isNotEqualTo(replayed.get(HashAlg.SHA256, SimulatedFleet.TAMPERED_PCR).orElseThrow());

      fleet.reboot("sim-0000");
      Message m = announcements.nextMessage(Duration.ofSeconds(5));
      assertThat(AgentAnnouncement.parse(m.getData()))
          .isEqualTo(new AgentAnnouncement("sim-0000", 1, 0));
      TpmEvidenceBundle rebooted =
          QuoteResponse.parse(ask(verifier, "sim-0000", FIRMWARE.toJson())).evidence();
      TpmQuoteVerifier.verify(rebooted, nonce);
      assertThat(TpmAttest.parse(rebooted.quotes().get(0).attest()).clockInfo().resetCount())
          .isEqualTo(1);
      assertThat(rebooted.pcrs().get(HashAlg.SHA256, SimulatedFleet.TAMPERED_PCR).orElseThrow())
          .isEqualTo(replayed.get(HashAlg.SHA256, SimulatedFleet.TAMPERED_PCR).orElseThrow());
      assertThat(fleet.quotesServed("sim-0000")).hasSize(4);
    }
  }
}
