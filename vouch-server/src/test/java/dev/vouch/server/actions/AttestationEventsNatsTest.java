package dev.vouch.server.actions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.report.X5cJws;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Status events reach a real nats-server on the host's subject. */
class AttestationEventsNatsTest {
  @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir;

  @Test
  void aStatusChangeIsPublishedOnTheHostsSubjectAsJson() throws Exception {
    try (NatsServer nats = NatsServer.start();
        Connection publisher = Nats.connect(nats.url());
        Connection listener = Nats.connect(nats.url())) {
      Subscription sub = listener.subscribe("vouch.host.*.status");
      listener.flush(Duration.ofSeconds(2));
      AttestationEvents events = new AttestationEvents(Optional.of(publisher), Optional.empty());

      events.publish(
          new StatusChange(
              "3f1c-host",
              HostStatus.VERIFIED,
              HostStatus.ATTESTATION_FAILED,
              List.of("pcr 10 differs", "flavor OS not met"),
              Optional.of("report-7"),
              Instant.parse("2026-05-01T10:15:30.123Z"),
              Optional.empty(),
              Optional.empty(),
              List.of("0b8e6a4e-1f5c-4d1e-9a43-3f0d2c1b7a55")));
      publisher.flush(Duration.ofSeconds(2));

      Message m = sub.nextMessage(Duration.ofSeconds(5));
      assertThat(m).isNotNull();
      assertThat(m.getSubject()).isEqualTo("vouch.host.3f1c-host.status");
      JsonNode j = new ObjectMapper().readTree(m.getData());
      // one naming with the HTTP API: every member in snake_case
      j.fieldNames().forEachRemaining(f -> assertThat(f).matches("[a-z]+(_[a-z]+)*"));
      assertThat(j.get("host_id").asText()).isEqualTo("3f1c-host");
      assertThat(j.get("previous").asText()).isEqualTo("VERIFIED");
      assertThat(j.get("current").asText()).isEqualTo("ATTESTATION_FAILED");
      assertThat(j.get("reasons").get(1).asText()).isEqualTo("flavor OS not met");
      assertThat(j.get("report_id").asText()).isEqualTo("report-7");
      assertThat(j.get("flavor_ids").get(0).asText())
          .isEqualTo("0b8e6a4e-1f5c-4d1e-9a43-3f0d2c1b7a55");
      assertThat(j.get("time").asText()).isEqualTo("2026-05-01T10:15:30.123Z");
      assertThat(events.natsPublished()).isEqualTo(1);
      assertThat(events.natsFailed()).isZero();
    }
  }

  @Test
  void eventsCarryADetachedSignatureThatVerifiesAgainstTheReportingCaAndNotAfterAChange()
      throws Exception {
    try (dev.vouch.server.store.Database db = dev.vouch.server.store.TestDatabases.h2(dir).open();
        NatsServer nats = NatsServer.start();
        Connection publisher = Nats.connect(nats.url());
        Connection listener = Nats.connect(nats.url())) {
      dev.vouch.server.monitor.ServerIdentity pki =
          dev.vouch.server.monitor.ServerIdentity.loadOrCreate(
              db, new dev.vouch.server.store.Sealer(new byte[32]), java.time.Clock.systemUTC());
      Subscription sub = listener.subscribe("vouch.host.*.status");
      listener.flush(Duration.ofSeconds(2));
      AttestationEvents events =
          new AttestationEvents(
              Optional.of(publisher),
              Optional.empty(),
              c -> {},
              Optional.of(X5cJws.signer(pki.key(), pki.chain(), AttestationEvents.SIGNATURE_TYPE)));
      events.publish(
          new StatusChange(
              "h1",
              HostStatus.VERIFIED,
              HostStatus.ATTESTATION_FAILED,
              List.of("pcr 0 differs"),
              Optional.empty(),
              Instant.parse("2026-03-01T11:00:00Z")));
      publisher.flush(Duration.ofSeconds(2));
      Message m = sub.nextMessage(Duration.ofSeconds(5));
      String sig = m.getHeaders().getFirst(AttestationEvents.SIGNATURE_HEADER);
      assertThat(sig).contains("..");
      Instant at = Instant.now();
      X5cJws.verifyDetached(
          sig, m.getData(), AttestationEvents.SIGNATURE_TYPE, "event", List.of(pki.ca()), at);
      byte[] changed = new String(m.getData()).replace("ATTESTATION_FAILED", "VERIFIED").getBytes();
      assertThatThrownBy(
              () ->
                  X5cJws.verifyDetached(
                      sig,
                      changed,
                      AttestationEvents.SIGNATURE_TYPE,
                      "event",
                      List.of(pki.ca()),
                      at))
          .isInstanceOfSatisfying(
              VerificationException.class,
              e -> assertThat(e.failure()).isEqualTo(Failure.SIGNATURE_INVALID));
    }
  }

  @Test
  void aClosedConnectionIsCountedAndNeverThrown() throws Exception {
    try (NatsServer nats = NatsServer.start()) {
      Connection c = Nats.connect(nats.url());
      c.close();
      AttestationEvents events = new AttestationEvents(Optional.of(c), Optional.empty());

      events.publish(
          new StatusChange(
              "h",
              HostStatus.UNKNOWN,
              HostStatus.VERIFIED,
              List.of(),
              Optional.empty(),
              Instant.EPOCH));

      assertThat(events.natsFailed()).isEqualTo(1);
      assertThat(events.natsPublished()).isZero();
    }
  }

  @Test
  void hostIdsWithSubjectSyntaxAreEscapedIntoOneToken() {
    assertThat(AttestationEvents.subjectFor("abc-123")).isEqualTo("vouch.host.abc-123.status");
    assertThat(AttestationEvents.subjectFor("web.1 *>%"))
        .isEqualTo("vouch.host.web%2E1%20%2A%3E%25.status");
    assertThat(AttestationEvents.subjectFor("a.b"))
        .isNotEqualTo(AttestationEvents.subjectFor("a%b"));
  }
}
