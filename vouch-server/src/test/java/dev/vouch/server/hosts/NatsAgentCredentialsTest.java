package dev.vouch.server.hosts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.agent.sim.SimulatedFleet;
import dev.vouch.agent.sim.SimulatedHost;
import dev.vouch.agent.trust.NatsAgentService;
import dev.vouch.agent.trust.NatsCredentials;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.evidence.tpm.protocol.AgentAnnouncement;
import dev.vouch.evidence.tpm.protocol.NatsSubjects;
import dev.vouch.server.nats.NatsAuthority;
import dev.vouch.server.registrar.InMemoryEnrollmentStore;
import dev.vouch.server.store.Sealer;
import io.nats.client.AuthHandler;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-agent NATS credentials on a real nats-server that trusts the server-issued operator and
 * account: two agents, each with its own user key and the JWT signed for it, are attested by the
 * server over NATS; neither can read, answer or announce for the other, and nobody connects without
 * credentials.
 */
class NatsAgentCredentialsTest {
  static Path dir;
  static byte[] kek = new byte[32];
  static NatsAuthority authority;
  static NatsServer nats;
  static Connection serverSide;
  static Connection agentA;
  static Connection agentB;
  static final Queue<String> errorsOfA = new ConcurrentLinkedQueue<>();
  static SimulatedFleet fleetA;
  static SimulatedFleet fleetB;
  static HostAttestor attestor;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("vouch-nats-auth-");
    new SecureRandom().nextBytes(kek);
    authority = NatsAuthority.loadOrCreate(dir.resolve("nats"), new Sealer(kek));
    // the settings exactly as the authority wrote them for nats-server (include paths are
    // relative to the including file, so they are read in here)
    nats =
        NatsServer.withConfig(
            Files.readString(dir.resolve("nats").resolve(NatsAuthority.SERVER_CONFIG_FILE)));
    serverSide = connect(authority.serverCredentials(), null);
    agentA = connectAgent("agent-a", errorsOfA);
    agentB = connectAgent("agent-b", new ConcurrentLinkedQueue<>());
    SecureRandom random = new SecureRandom();
    SimulatedHost.FirmwareLog firmware = SimulatedHost.FirmwareLog.keylimeSecureBoot();
    fleetA = SimulatedFleet.start(agentA, List.of("agent-a"), firmware, random, Clock.systemUTC());
    fleetB = SimulatedFleet.start(agentB, List.of("agent-b"), firmware, random, Clock.systemUTC());
    InMemoryEnrollmentStore store = new InMemoryEnrollmentStore();
    SimulatedEnrollment.enrollAll(fleetA, store, Instant.now());
    SimulatedEnrollment.enrollAll(fleetB, store, Instant.now());
    attestor =
        new HostAttestor(
            store,
            new NatsAgentChannel(serverSide, Duration.ofSeconds(10)),
            QuotePlan.firmware(),
            Clock.systemUTC(),
            random);
  }

  @AfterAll
  static void stop() throws Exception {
    for (SimulatedFleet f : new SimulatedFleet[] {fleetA, fleetB}) {
      if (f != null) {
        f.close();
      }
    }
    for (Connection c : new Connection[] {serverSide, agentA, agentB}) {
      if (c != null) {
        c.close();
      }
    }
    if (nats != null) {
      nats.close();
    }
  }

  /** An agent as it runs after enrollment: its own key, the JWT the authority signed for it. */
  private static Connection connectAgent(String hostId, Queue<String> errors) throws Exception {
    NatsCredentials creds = NatsCredentials.generate();
    String jwt = authority.agentJwt(hostId, creds.publicKey());
    return connect(creds.authHandler(jwt), errors);
  }

  private static Connection connect(AuthHandler auth, Queue<String> errors) throws Exception {
    Options.Builder b =
        new Options.Builder()
            .server(nats.url())
            .maxReconnects(0)
            .connectionTimeout(Duration.ofSeconds(2));
    if (auth != null) {
      b.authHandler(auth);
    }
    if (errors != null) {
      Queue<String> q = errors;
      b.errorListener(
          new ErrorListener() {
            @Override
            public void errorOccurred(Connection conn, String error) {
              q.add(error);
            }
          });
    }
    return Nats.connect(b.build());
  }

  private static void awaitError(String fragment) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      if (errorsOfA.stream().anyMatch(e -> e.contains(fragment))) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no NATS error containing " + fragment + "; got " + errorsOfA);
  }

  @Test
  void theServerAttestsBothAgentsOverTheirOwnCredentials() throws Exception {
    HostAttestation a = attestor.attest("agent-a");
    HostAttestation b = attestor.attest("agent-b");

    assertThat(a.hostId()).isEqualTo("agent-a");
    assertThat(a.eventLogVerified()).isTrue();
    assertThat(b.hostId()).isEqualTo("agent-b");
    assertThat(b.eventLogVerified()).isTrue();
  }

  @Test
  void anAgentCannotSubscribeToAnotherHostsRequests() throws Exception {
    Subscription spy = agentA.subscribe(NatsAgentChannel.quoteSubject("agent-b"));
    agentA.flush(Duration.ofSeconds(5));
    awaitError("Permissions Violation for Subscription to \"vouch.agent.agent-b.quote\"");

    // B's requests still reach B alone: the attestation succeeds and A's subscription sees nothing
    assertThat(attestor.attest("agent-b").hostId()).isEqualTo("agent-b");
    assertThat(spy.nextMessage(Duration.ofMillis(500))).isNull();
  }

  @Test
  void anAgentCannotAnnounceAnotherHostNorAnswerForIt() throws Exception {
    LinkedBlockingQueue<String> heard = new LinkedBlockingQueue<>();
    try (AnnouncementListener listener =
        AnnouncementListener.start(serverSide, a -> heard.add(a.hostId()))) {
      serverSide.flush(Duration.ofSeconds(5));
      byte[] forB = new AgentAnnouncement("agent-b", 1, 0).toJson();

      agentA.publish(NatsSubjects.announce("agent-b"), forB);
      agentA.publish(NatsAgentService.ANNOUNCE_SUBJECT, forB);
      agentA.publish("_INBOX.someone-elses-request", forB);
      // its own subject, naming B: delivered by NATS, dropped by the listener
      agentA.publish(NatsSubjects.announce("agent-a"), forB);
      agentA.publish(
          NatsSubjects.announce("agent-a"), new AgentAnnouncement("agent-a", 1, 0).toJson());
      agentA.flush(Duration.ofSeconds(5));

      awaitError("Permissions Violation for Publish to \"vouch.agent.agent-b.announce\"");
      awaitError("Permissions Violation for Publish to \"vouch.agent.announce\"");
      awaitError("Permissions Violation for Publish to \"_INBOX.someone-elses-request\"");
      // NATS keeps one publisher's order: once A's own announcement is heard, nothing before it
      // is still on its way
      assertThat(heard.poll(5, TimeUnit.SECONDS)).isEqualTo("agent-a");
      assertThat(heard.poll(300, TimeUnit.MILLISECONDS)).isNull();
    }
  }

  @Test
  void connectionsWithoutTheAuthoritysCredentialsAreRefused() throws Exception {
    assertThatThrownBy(() -> connect(null, null))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Authorization Violation");

    NatsAuthority foreign = NatsAuthority.generate();
    NatsCredentials creds = NatsCredentials.generate();
    String foreignJwt = foreign.agentJwt("agent-a", creds.publicKey());
    assertThatThrownBy(() -> connect(creds.authHandler(foreignJwt), null))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Authorization Violation");

    // a JWT signed for someone else's key is useless without that key's seed
    String jwtForOther = authority.agentJwt("agent-a", NatsCredentials.generate().publicKey());
    assertThatThrownBy(() -> connect(creds.authHandler(jwtForOther), null))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Authorization Violation");
  }

  @Test
  void agentJwtsAreOnlySignedForValidHostIdsAndUserKeys() {
    String key = NatsCredentials.generate().publicKey();
    assertThatThrownBy(() -> authority.agentJwt("agent.b", key))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> authority.agentJwt("agent-*", key))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> authority.agentJwt("agent-a", authority.accountPublicKey()))
        .isInstanceOf(IllegalArgumentException.class);
    // another last character (the key's own may be 'A') breaks the key's checksum
    char last = key.charAt(55);
    String damaged = key.substring(0, 55) + (last == 'A' ? 'B' : 'A');
    assertThatThrownBy(() -> authority.agentJwt("agent-a", damaged))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theAuthorityKeepsItsKeysSealedAndReloadsThem() throws Exception {
    Path keys = dir.resolve("nats");
    assertThat(NatsAuthority.loadOrCreate(keys, new Sealer(kek)).accountPublicKey())
        .isEqualTo(authority.accountPublicKey());
    assertThat(Files.getPosixFilePermissions(keys.resolve("account.nk.sealed")))
        .containsExactlyInAnyOrder(
            java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    assertThatThrownBy(() -> NatsAuthority.loadOrCreate(keys, new Sealer(new byte[32])))
        .isInstanceOf(Sealer.SealedDataException.class);
  }
}
