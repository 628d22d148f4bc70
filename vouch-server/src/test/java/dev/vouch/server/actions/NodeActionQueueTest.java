package dev.vouch.server.actions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.server.TcpOutage;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.TestDatabases;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Node actions survive an API server outage and a server restart: the fabric8 mock API server in
 * CRUD mode behind a relay the test takes down and brings back, and the queue in an H2 file
 * database that is closed and reopened.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class NodeActionQueueTest {
  static final NodeActionQueue.Settings FAST =
      new NodeActionQueue.Settings(
          Duration.ofMillis(50), Duration.ofMillis(400), Duration.ofMillis(50));

  KubernetesMockServer server;
  KubernetesClient client;
  @TempDir Path dir;

  private TcpOutage api;
  private KubernetesClient viaRelay;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void nodeBehindARelay() throws Exception {
    client.nodes().delete();
    client
        .resource(new NodeBuilder().withNewMetadata().withName("host-a").endMetadata().build())
        .create();
    api = TcpOutage.relayTo(URI.create(server.url("/")).getPort());
    viaRelay =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder()
                    .withMasterUrl("http://127.0.0.1:" + api.port())
                    .withRequestRetryBackoffLimit(0)
                    .withConnectionTimeout(2_000)
                    .withRequestTimeout(2_000)
                    .build())
            .build();
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
    viaRelay.close();
    api.close();
  }

  private Database database() {
    Database db = Database.open(Database.h2Url(dir), Optional.empty(), Optional.empty(), 2);
    open.add(db);
    return db;
  }

  private NodeActionQueue queue(Database db) {
    NodeActionQueue q =
        new NodeActionQueue(
            db,
            new NodeActions(viaRelay, NodeActionSettings.defaults(), Clock.systemUTC()),
            Clock.systemUTC(),
            FAST);
    open.add(q);
    return q;
  }

  private static StatusChange failure() {
    return new StatusChange(
        "host-a",
        HostStatus.VERIFIED,
        HostStatus.ATTESTATION_FAILED,
        List.of("pcr 10 differs"),
        Optional.of("r-1"),
        Clock.systemUTC().instant());
  }

  private boolean cordoned() {
    Node n = client.nodes().withName("host-a").get();
    return n.getSpec() != null && Boolean.TRUE.equals(n.getSpec().getUnschedulable());
  }

  private static NodeActionQueue.Entry await(
      NodeActionQueue q, Predicate<NodeActionQueue.Entry> p, String what) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    List<NodeActionQueue.Entry> last = List.of();
    while (System.nanoTime() < deadline) {
      last = q.of("host-a");
      if (!last.isEmpty() && p.test(last.getFirst())) {
        return last.getFirst();
      }
      Thread.sleep(25);
    }
    throw new AssertionError("node action never " + what + ": " + last);
  }

  @Test
  void aCordonAskedWhileTheApiIsDownIsRetriedUntilItIsDoneAndNeverHoldsTheCaller()
      throws Exception {
    NodeActionQueue q = queue(database());
    q.start();
    FailureResponder responder =
        new FailureResponder(new FailurePolicy(false), change -> {}, Optional.of(q));
    api.down();

    long t0 = System.nanoTime();
    FailureResponder.Response r = responder.respond(failure(), new HostRef("host-a", "host-a"));
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    assertThat(r.queued()).containsExactly(NodeActionQueue.Kind.LABEL, NodeActionQueue.Kind.CORDON);
    // the attestation worker only records the action: no wait on the API server
    assertThat(took).isLessThan(Duration.ofSeconds(1));

    NodeActionQueue.Entry failing =
        await(q, e -> e.attempts() >= 3 && e.lastError().isPresent(), "failed three times");
    assertThat(failing.state()).isEqualTo(NodeActionQueue.State.PENDING);
    assertThat(cordoned()).isFalse();

    api.up();
    NodeActionQueue.Entry done = await(q, e -> e.state() == NodeActionQueue.State.DONE, "was done");
    assertThat(done.lastError()).isEmpty();
    assertThat(done.result()).hasValueSatisfying(s -> assertThat(s).contains("host-a=CHANGED"));
    assertThat(cordoned()).isTrue();
    assertThat(
            client
                .nodes()
                .withName("host-a")
                .get()
                .getMetadata()
                .getAnnotations()
                .get("vouch.dev/attestation-reason"))
        .isEqualTo("ATTESTATION_FAILED: pcr 10 differs");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"h2", "postgresql"})
  void aPendingCordonSurvivesARestartOfTheServer(String kind) throws Exception {
    try (TestDatabases.Handle h =
        kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres()) {
      api.down();
      Database first = h.open();
      NodeActionQueue before = queue(first);
      before.enqueue(new HostRef("host-a", "host-a"), NodeActionQueue.Kind.CORDON, "FAILED: x");
      // a second failure while the first is pending keeps one row and its backoff
      assertThat(before.runDue()).isEqualTo(1);
      before.enqueue(new HostRef("host-a", "host-a"), NodeActionQueue.Kind.CORDON, "FAILED: y");
      assertThat(before.of("host-a")).hasSize(1);
      assertThat(before.of("host-a").getFirst().attempts()).isEqualTo(1);
      assertThat(before.of("host-a").getFirst().state()).isEqualTo(NodeActionQueue.State.PENDING);
      before.close();
      first.close();
      open.clear();

      api.up();
      Database second = h.open();
      open.add(second);
      NodeActionQueue after = queue(second);
      after.start();
      await(after, e -> e.state() == NodeActionQueue.State.DONE, "was done after the restart");
      assertThat(cordoned()).isTrue();
      // the queue and pool go before the PostgreSQL database is dropped
      for (AutoCloseable c : open.reversed()) {
        c.close();
      }
      open.clear();
    }
  }

  @Test
  void anOnboardingDropsAPendingCordonSoItNeverUndoesTheRestore() throws Exception {
    api.down();
    NodeActionQueue q = queue(database());
    q.enqueue(new HostRef("host-a", "host-a"), NodeActionQueue.Kind.CORDON, "FAILED: x");
    assertThat(q.runDue()).isEqualTo(1);
    assertThat(q.cancelPending("host-a")).isEqualTo(1);
    api.up();
    assertThat(q.runDue()).isZero();
    assertThat(q.of("host-a")).isEmpty();
    assertThat(cordoned()).isFalse();
  }

  @Test
  void aPendingVerifiedLabelTakesTheNewerUntrustedVerdictBeforeItIsWritten() throws Exception {
    api.down();
    NodeActionQueue q = queue(database());
    HostRef host = new HostRef("host-a", "host-a");
    q.enqueue(host, NodeActionQueue.Kind.LABEL, NodeTrust.VERIFIED.value());
    assertThat(q.runDue()).isEqualTo(1);
    q.enqueue(host, NodeActionQueue.Kind.LABEL, NodeTrust.UNTRUSTED.value());
    assertThat(q.of("host-a"))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.reason()).isEqualTo("untrusted");
              assertThat(e.state()).isEqualTo(NodeActionQueue.State.PENDING);
            });
    api.up();
    q.start();
    await(q, e -> e.state() == NodeActionQueue.State.DONE, "was done");
    assertThat(client.nodes().withName("host-a").get().getMetadata().getLabels())
        .containsEntry("vouch.dev/trust", "untrusted");
  }

  @Test
  void backoffDoublesFromTheFirstWaitUpToTheLongest() {
    NodeActionQueue q =
        new NodeActionQueue(
            database(),
            new NodeActions(viaRelay, NodeActionSettings.defaults(), Clock.systemUTC()),
            Clock.systemUTC(),
            new NodeActionQueue.Settings(
                Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofSeconds(1)));
    open.add(q);
    assertThat(List.of(q.backoff(1), q.backoff(2), q.backoff(3), q.backoff(4), q.backoff(5)))
        .containsExactly(
            Duration.ofSeconds(1),
            Duration.ofSeconds(2),
            Duration.ofSeconds(4),
            Duration.ofSeconds(8),
            Duration.ofSeconds(10));
  }
}
