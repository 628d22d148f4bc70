package dev.vouch.server.actions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.policy.flavor.HostStatus;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Node cordoning against the fabric8 mock API server in CRUD mode (a stateful fake apiserver). */
@EnableKubernetesMockClient(crud = true)
class NodeActionsTest {
  static final String LABEL = "vouch.dev/host-id";
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-05-01T10:15:30Z"), ZoneOffset.UTC);

  KubernetesMockServer server;
  KubernetesClient client;

  @BeforeEach
  void twoNodes() {
    client.nodes().delete();
    client.resource(node("node-a", "host-a")).create();
    Node b = node("node-b", "host-b");
    b.getSpec()
        .setTaints(
            List.of(new Taint("NoSchedule", "dedicated", null, "gpu"))); // someone else's taint
    client.resource(b).create();
  }

  static Node node(String name, String hostId) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels(LABEL, hostId)
        .addToAnnotations("team", "infra")
        .endMetadata()
        .withNewSpec()
        .endSpec()
        .build();
  }

  NodeActions actions() {
    return new NodeActions(client, NodeActionSettings.defaults(), CLOCK);
  }

  Node get(String name) {
    return client.nodes().withName(name).get();
  }

  @Test
  void cordonsTheFailingHostsNodeWithTaintAndAnnotationsAndLeavesTheOtherUntouched()
      throws Exception {
    Node before = get("node-b");

    assertThat(actions().cordon("node-a", "ATTESTATION_FAILED: pcr 10 differs"))
        .isEqualTo(NodeActions.Outcome.CHANGED);

    Node a = get("node-a");
    assertThat(a.getSpec().getUnschedulable()).isTrue();
    assertThat(a.getSpec().getTaints())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.getKey()).isEqualTo("vouch.dev/attestation");
              assertThat(t.getValue()).isEqualTo("failed");
              assertThat(t.getEffect()).isEqualTo("NoSchedule");
            });
    assertThat(a.getMetadata().getAnnotations())
        .containsEntry("vouch.dev/attestation-status", "failed")
        .containsEntry("vouch.dev/attestation-reason", "ATTESTATION_FAILED: pcr 10 differs")
        .containsEntry("vouch.dev/attestation-time", "2026-05-01T10:15:30Z")
        .containsEntry("team", "infra");
    assertThat(a.getMetadata().getLabels()).containsEntry(LABEL, "host-a");

    Node b = get("node-b");
    assertThat(b.getMetadata().getResourceVersion())
        .isEqualTo(before.getMetadata().getResourceVersion());
    assertThat(b.getSpec().getUnschedulable()).isNotEqualTo(Boolean.TRUE);
    assertThat(b.getMetadata().getAnnotations()).doesNotContainKey("vouch.dev/attestation-status");
  }

  @Test
  void cordoningTwiceLeavesTheSameStateAndWritesNothing() throws Exception {
    actions().cordon("node-a", "first reason");
    Node once = get("node-a");

    Clock later = Clock.offset(CLOCK, java.time.Duration.ofHours(1));
    NodeActions again = new NodeActions(client, NodeActionSettings.defaults(), later);
    assertThat(again.cordon("node-a", "second reason")).isEqualTo(NodeActions.Outcome.UNCHANGED);

    Node twice = get("node-a");
    assertThat(twice).isEqualTo(once);
    assertThat(twice.getMetadata().getAnnotations())
        .containsEntry("vouch.dev/attestation-reason", "first reason");
  }

  @Test
  void keepsOtherTaintsAndAddsNoExecuteWhenConfigured() throws Exception {
    NodeActions strict =
        new NodeActions(client, NodeActionSettings.defaults().withNoExecute(true), CLOCK);
    strict.cordon("node-b", "SECURE_BOOT_DISABLED");

    assertThat(get("node-b").getSpec().getTaints())
        .extracting(Taint::getKey, Taint::getEffect)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("dedicated", "NoSchedule"),
            org.assertj.core.groups.Tuple.tuple("vouch.dev/attestation", "NoSchedule"),
            org.assertj.core.groups.Tuple.tuple("vouch.dev/attestation", "NoExecute"));
    assertThat(strict.isCordoned(get("node-b"))).isTrue();
    // a node cordoned without NoExecute is not fully cordoned under the stricter settings
    actions().cordon("node-a", "x");
    assertThat(strict.isCordoned(get("node-a"))).isFalse();
  }

  @Test
  void restoreRemovesTheMarksAndMakesTheNodeSchedulableOnlyWhenCalled() throws Exception {
    actions().cordon("node-a", "ATTESTATION_FAILED");
    assertThat(get("node-a").getSpec().getUnschedulable()).isTrue();

    assertThat(actions().restore("node-a")).isEqualTo(NodeActions.Outcome.CHANGED);

    Node a = get("node-a");
    assertThat(a.getSpec().getUnschedulable()).isFalse();
    assertThat(a.getSpec().getTaints()).isNullOrEmpty();
    // the trust label stays, as unknown, until a passing attestation labels it verified
    assertThat(a.getMetadata().getAnnotations())
        .containsOnlyKeys("team", "vouch.dev/trust-since")
        .containsEntry("team", "infra");
    assertThat(a.getMetadata().getLabels()).containsEntry("vouch.dev/trust", "unknown");
  }

  @Test
  void restoreLeavesANodeCordonedBySomeoneElseAlone() throws Exception {
    client
        .nodes()
        .withName("node-b")
        .edit(n -> new NodeBuilder(n).editSpec().withUnschedulable(true).endSpec().build());

    assertThat(actions().restore("node-b")).isEqualTo(NodeActions.Outcome.UNCHANGED);
    assertThat(get("node-b").getSpec().getUnschedulable()).isTrue();
  }

  @Test
  void aMissingNodeIsReportedNotFound() throws Exception {
    assertThat(actions().cordon("node-z", "x")).isEqualTo(NodeActions.Outcome.NOT_FOUND);
    assertThat(actions().restore("node-z")).isEqualTo(NodeActions.Outcome.NOT_FOUND);
  }

  @Test
  void aConcurrentWriteBetweenReadAndUpdateIsRetriedOnTheFreshNode() throws Exception {
    AtomicInteger races = new AtomicInteger();
    NodeActions racing =
        new NodeActions(
            client,
            NodeActionSettings.defaults(),
            CLOCK,
            name -> {
              if (races.getAndIncrement() == 0) {
                // another controller labels the node after our read: our write must conflict
                client
                    .nodes()
                    .withName(name)
                    .edit(
                        n ->
                            new NodeBuilder(n)
                                .editMetadata()
                                .addToLabels("zone", "b")
                                .endMetadata()
                                .build());
              }
            });

    assertThat(racing.cordon("node-a", "ATTESTATION_FAILED"))
        .isEqualTo(NodeActions.Outcome.CHANGED);

    assertThat(races).hasValue(2); // read-modify-write ran twice
    Node a = get("node-a");
    assertThat(a.getSpec().getUnschedulable()).isTrue();
    assertThat(a.getMetadata().getLabels()).containsEntry("zone", "b"); // the other write kept
  }

  @Test
  void conflictsThatNeverStopEndInAnExceptionAfterTheConfiguredAttempts() {
    AtomicInteger writes = new AtomicInteger();
    NodeActions losing =
        new NodeActions(
            client,
            new NodeActionSettings(
                "vouch.dev/attestation", "failed", false, java.util.Optional.empty(), 3),
            CLOCK,
            name ->
                client
                    .nodes()
                    .withName(name)
                    .edit(
                        n ->
                            new NodeBuilder(n)
                                .editMetadata()
                                .addToLabels("n", Integer.toString(writes.incrementAndGet()))
                                .endMetadata()
                                .build()));

    assertThatThrownBy(() -> losing.cordon("node-a", "x"))
        .isInstanceOf(NodeActionException.class)
        .hasMessageContaining("after 3 attempts");
    assertThat(writes).hasValue(3);
    assertThat(get("node-a").getSpec().getUnschedulable()).isNotEqualTo(Boolean.TRUE);
  }

  @Test
  void findsTheHostsNodeByLabelOrByHostName() throws Exception {
    NodeActions byLabel =
        new NodeActions(client, NodeActionSettings.defaults().withHostLabel(LABEL), CLOCK);
    assertThat(byLabel.nodesOf(new HostRef("host-b", "whatever"))).containsExactly("node-b");
    assertThat(byLabel.nodesOf(new HostRef("host-c", "node-a"))).isEmpty();

    NodeActions byName = actions();
    assertThat(byName.nodesOf(new HostRef("id", "NODE-A"))).containsExactly("node-a");
    assertThat(byName.nodesOf(new HostRef("id", "node-b.cluster.example")))
        .containsExactly("node-b");
    assertThat(byName.nodesOf(new HostRef("id", "node"))).isEmpty();
  }

  @Test
  void respondingToAFailureCordonsOnceRecoveryDoesNotUncordonAndRepeatsStillPublish()
      throws Exception {
    List<StatusChange> published = new java.util.ArrayList<>();
    try (dev.vouch.server.store.Database db =
            dev.vouch.server.store.Database.open(
                "jdbc:h2:mem:nodes-" + java.util.UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
                java.util.Optional.empty(),
                java.util.Optional.empty(),
                2);
        NodeActionQueue queue =
            new NodeActionQueue(
                db,
                new NodeActions(client, NodeActionSettings.defaults().withHostLabel(LABEL), CLOCK),
                CLOCK,
                NodeActionQueue.Settings.defaults())) {
      FailureResponder responder =
          new FailureResponder(
              new FailurePolicy(false), published::add, java.util.Optional.of(queue));
      HostRef host = new HostRef("host-a", "ignored");

      FailureResponder.Response first =
          responder.respond(change(HostStatus.VERIFIED, HostStatus.ATTESTATION_FAILED), host);
      assertThat(first.queued())
          .containsExactly(NodeActionQueue.Kind.LABEL, NodeActionQueue.Kind.CORDON);
      assertThat(queue.runDue()).isEqualTo(2);
      assertThat(queue.of("host-a").getFirst().result()).contains("{node-a=CHANGED}");
      Node cordoned = get("node-a");
      assertThat(cordoned.getMetadata().getLabels()).containsEntry("vouch.dev/trust", "untrusted");
      assertThat(cordoned.getMetadata().getAnnotations())
          .containsEntry("vouch.dev/attestation-reason", "ATTESTATION_FAILED: pcr 10 differs");

      FailureResponder.Response repeat =
          responder.respond(
              change(HostStatus.ATTESTATION_FAILED, HostStatus.ATTESTATION_FAILED), host);
      assertThat(repeat.queued())
          .containsExactly(NodeActionQueue.Kind.LABEL, NodeActionQueue.Kind.CORDON);
      assertThat(queue.runDue()).isEqualTo(2);
      assertThat(queue.of("host-a").getFirst().result()).contains("{node-a=UNCHANGED}");
      assertThat(get("node-a")).isEqualTo(cordoned);

      FailureResponder.Response recovery =
          responder.respond(change(HostStatus.ATTESTATION_FAILED, HostStatus.VERIFIED), host);
      // the verified label is asked for, but a cordoned node never gets it
      assertThat(recovery.queued()).containsExactly(NodeActionQueue.Kind.LABEL);
      assertThat(queue.runDue()).isEqualTo(1);
      assertThat(get("node-a").getSpec().getUnschedulable()).isTrue();
      assertThat(get("node-a").getMetadata().getLabels())
          .containsEntry("vouch.dev/trust", "untrusted");
    }

    assertThat(published)
        .extracting(StatusChange::current)
        .containsExactly(
            HostStatus.ATTESTATION_FAILED, HostStatus.ATTESTATION_FAILED, HostStatus.VERIFIED);
    assertThat(get("node-b").getSpec().getUnschedulable()).isNotEqualTo(Boolean.TRUE);
  }

  @Test
  void labelSetsTrustAndItsSinceOnlyWhenTheValueChanges() throws Exception {
    Clock later = Clock.offset(CLOCK, java.time.Duration.ofHours(1));
    assertThat(actions().label("node-a", NodeTrust.VERIFIED))
        .isEqualTo(NodeActions.Outcome.CHANGED);
    assertThat(get("node-a").getMetadata().getLabels())
        .containsEntry("vouch.dev/trust", "verified")
        .containsEntry(LABEL, "host-a");
    assertThat(get("node-a").getMetadata().getAnnotations())
        .containsEntry("vouch.dev/trust-since", "2026-05-01T10:15:30Z")
        .containsEntry("team", "infra");

    NodeActions laterActions = new NodeActions(client, NodeActionSettings.defaults(), later);
    assertThat(laterActions.label("node-a", NodeTrust.VERIFIED))
        .isEqualTo(NodeActions.Outcome.UNCHANGED);
    assertThat(laterActions.label("node-a", NodeTrust.UNKNOWN))
        .isEqualTo(NodeActions.Outcome.CHANGED);
    assertThat(get("node-a").getMetadata().getAnnotations())
        .containsEntry("vouch.dev/trust-since", "2026-05-01T11:15:30Z");
    assertThat(actions().label("no-such-node", NodeTrust.UNKNOWN))
        .isEqualTo(NodeActions.Outcome.NOT_FOUND);
  }

  @Test
  void aCordonLabelsTheNodeUntrustedInTheSameWriteAndVerifiedIsRefusedUntilRestore()
      throws Exception {
    actions().label("node-a", NodeTrust.VERIFIED);
    actions().cordon("node-a", "ATTESTATION_FAILED: pcr 0");
    Node a = get("node-a");
    assertThat(a.getMetadata().getLabels()).containsEntry("vouch.dev/trust", "untrusted");
    assertThat(NodeActions.trustOf(a)).contains(NodeTrust.UNTRUSTED);

    assertThat(actions().label("node-a", NodeTrust.VERIFIED))
        .isEqualTo(NodeActions.Outcome.UNCHANGED);
    assertThat(get("node-a").getMetadata().getLabels())
        .containsEntry("vouch.dev/trust", "untrusted");

    // someone relabels a cordoned node by hand: the next cordon puts it back
    client
        .nodes()
        .resource(
            new NodeBuilder(get("node-a"))
                .editMetadata()
                .addToLabels("vouch.dev/trust", "verified")
                .endMetadata()
                .build())
        .update();
    assertThat(actions().cordon("node-a", "again")).isEqualTo(NodeActions.Outcome.CHANGED);
    assertThat(NodeActions.trustOf(get("node-a"))).contains(NodeTrust.UNTRUSTED);

    assertThat(actions().restore("node-a")).isEqualTo(NodeActions.Outcome.CHANGED);
    assertThat(NodeActions.trustOf(get("node-a"))).contains(NodeTrust.UNKNOWN);
    assertThat(actions().label("node-a", NodeTrust.VERIFIED))
        .isEqualTo(NodeActions.Outcome.CHANGED);
    assertThat(NodeActions.trustOf(get("node-a"))).contains(NodeTrust.VERIFIED);
    assertThat(NodeActions.trustOf(get("node-b"))).isEmpty();
  }

  static StatusChange change(HostStatus from, HostStatus to) {
    return new StatusChange(
        "host-a",
        from,
        to,
        to.isFailure() ? List.of("pcr 10 differs") : List.of(),
        java.util.Optional.of("r-1"),
        CLOCK.instant());
  }
}
