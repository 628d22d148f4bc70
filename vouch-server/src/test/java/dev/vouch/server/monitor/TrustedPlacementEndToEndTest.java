package dev.vouch.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.manager.Host;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trusted workload placement end to end: two swtpm hosts over NATS, the server's scheduler and
 * node-action queue, the {@code vouch.dev/trust} label on the fabric8 mock API server (CRUD mode;
 * its CRUD dispatcher has no eviction subresource, so eviction answers are scripted and the
 * requests checked), and the admission webhook answering from the same nodes.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class TrustedPlacementEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(40);

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir Path dir;
  private NatsServer nats;
  private VouchServer vouch;
  private TestServers.Client http;
  private final List<SwtpmHost> hosts = new ArrayList<>();

  @BeforeEach
  void nodesAndPods() throws Exception {
    nats = NatsServer.start();
    for (String n : List.of("host-a", "host-b")) {
      client
          .nodes()
          .resource(new NodeBuilder().withNewMetadata().withName(n).endMetadata().build())
          .create();
      client
          .pods()
          .inNamespace("confidential")
          .resource(
              new PodBuilder()
                  .withNewMetadata()
                  .withNamespace("confidential")
                  .withName("enclave-" + n)
                  .addToLabels("vouch.dev/trusted-compute", "true")
                  .endMetadata()
                  .withNewSpec()
                  .withNodeName(n)
                  .endSpec()
                  .build())
          .create();
    }
    for (String n : List.of("host-a", "host-b")) {
      server
          .expect()
          .post()
          .withPath("/api/v1/namespaces/confidential/pods/enclave-" + n + "/eviction")
          .andReturn(201, new StatusBuilder().withStatus("Success").build())
          .always();
    }
  }

  @AfterEach
  void stop() throws Exception {
    if (vouch != null) {
      vouch.close();
    }
    for (SwtpmHost h : hosts) {
      h.close();
    }
    nats.close();
  }

  private void startServer() throws Exception {
    ServerConfig.Hosts h =
        new ServerConfig.Hosts(
            true,
            Duration.ofHours(1),
            Map.of(),
            Duration.ofSeconds(60),
            8,
            "tofu",
            Duration.ofDays(1),
            false,
            Duration.ofSeconds(10),
            Optional.of(nats.url()),
            Optional.empty(),
            true,
            Optional.of(server.url("/").replaceAll("/$", "")),
            true, // evict pods
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            List.of());
    vouch = VouchServer.start(TestServers.plain(dir.resolve("server")).withHosts(h));
    http = new TestServers.Client(vouch.baseUri());
  }

  private SwtpmHost host(String id) throws Exception {
    SwtpmHost h =
        SwtpmHost.start(id, SwtpmHost.SECURE_BOOT_LOG, dir, vouch.enrollments(), nats.url());
    hosts.add(h);
    TestServers.Reply r =
        http.post("/api/v1/hosts", "{\"id\":\"" + id + "\",\"connection\":\"nats\"}", true);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return h;
  }

  private Node node(String name) {
    return client.nodes().withName(name).get();
  }

  private static String trust(Node n) {
    return n.getMetadata().getLabels() == null
        ? null
        : n.getMetadata().getLabels().get("vouch.dev/trust");
  }

  private Node awaitTrust(String name, String value) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      Node n = node(name);
      if (value.equals(trust(n))) {
        return n;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("node " + name + " never labelled " + value + ": " + node(name));
  }

  /** The admission webhook's answer for the trusted pod pinned to {@code nodeName}. */
  private JsonNode admitPinned(String nodeName) throws Exception {
    ObjectNode review;
    try (InputStream in =
        getClass().getResourceAsStream("/kubernetes/admission/trusted-pod-pinned.json")) {
      review = (ObjectNode) TestServers.JSON.readTree(in);
    }
    ((ObjectNode) review.path("request").path("object").path("spec")).put("nodeName", nodeName);
    TestServers.Reply r =
        http.post(
            "/api/v1/kubernetes/admission/pods",
            TestServers.JSON.writeValueAsString(review),
            false);
    assertThat(r.status()).isEqualTo(200);
    return r.json().path("response");
  }

  /** Every eviction the mock API server received so far (the recorder holds every request). */
  private List<String> evictions() throws Exception {
    List<String> out = new ArrayList<>();
    RecordedRequest req;
    while ((req = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
      if (req.getPath().endsWith("/eviction")) {
        out.add(req.getPath());
      }
    }
    return out;
  }

  @Test
  void bothNodesGetVerifiedATamperedOneTurnsUntrustedCordonedAndLosesItsTrustedPodOnly()
      throws Exception {
    startServer();
    SwtpmHost a = host("host-a");
    host("host-b");

    Host verifiedA =
        HostMonitoringEndToEndTest.awaitStatus(
            vouch, WAIT, "host-a", HostStatus.VERIFIED, h -> true);
    HostMonitoringEndToEndTest.awaitStatus(vouch, WAIT, "host-b", HostStatus.VERIFIED, h -> true);
    awaitTrust("host-a", "verified");
    Node b = awaitTrust("host-b", "verified");
    assertThat(b.getMetadata().getAnnotations()).containsKey("vouch.dev/trust-since");
    assertThat(admitPinned("host-a").path("allowed").asBoolean()).isTrue();

    a.tamper(1);
    assertThat(http.post("/api/v1/hosts/host-a/attest", "", true).status()).isEqualTo(202);
    HostMonitoringEndToEndTest.awaitStatus(
        vouch,
        WAIT,
        "host-a",
        HostStatus.ATTESTATION_FAILED,
        h -> !h.lastReportId().equals(verifiedA.lastReportId()));
    Node failed = awaitTrust("host-a", "untrusted");
    long deadline = System.nanoTime() + WAIT.toNanos();
    List<String> evicted = new ArrayList<>();
    while (System.nanoTime() < deadline && evicted.isEmpty()) {
      evicted.addAll(evictions());
      Thread.sleep(100);
    }
    failed = node("host-a");
    assertThat(failed.getSpec().getUnschedulable()).isTrue();
    assertThat(failed.getSpec().getTaints())
        .anySatisfy(t -> assertThat(t.getKey()).isEqualTo("vouch.dev/attestation"));
    assertThat(evicted)
        .containsExactly("/api/v1/namespaces/confidential/pods/enclave-host-a/eviction");

    // the other node is untouched: same object, same resourceVersion
    assertThat(node("host-b").getMetadata().getResourceVersion())
        .isEqualTo(b.getMetadata().getResourceVersion());
    assertThat(node("host-b").getSpec()).isNull();
    assertThat(trust(node("host-b"))).isEqualTo("verified");

    // placement follows the label: a trusted pod pinned to the failed node is refused
    JsonNode refused = admitPinned("host-a");
    assertThat(refused.path("allowed").asBoolean()).isFalse();
    assertThat(refused.path("status").path("message").asText())
        .contains("node host-a")
        .contains("vouch.dev/trust=untrusted");
    assertThat(admitPinned("host-b").path("allowed").asBoolean()).isTrue();

    // onboarding afresh while still tampered: restored, but the next attestation fails again
    JsonNode onboarded = http.post("/api/v1/hosts/host-a/onboard", "", true).json();
    assertThat(onboarded.path("nodes_restored").toString()).contains("host-a");
    awaitTrust("host-a", "untrusted");
    assertThat(vouch.monitor().registry().history("host-a"))
        .extracting(c -> c.current())
        .containsSubsequence(
            HostStatus.ATTESTATION_FAILED, HostStatus.UNKNOWN, HostStatus.ATTESTATION_FAILED);

    // a reboot that TOFU adopts makes the host VERIFIED, but its cordoned node stays untrusted
    Optional<String> failedReport =
        vouch.monitor().registry().get("host-a").orElseThrow().lastReportId();
    a.rebootIntoChangedFirmware();
    HostMonitoringEndToEndTest.awaitStatus(
        vouch, WAIT, "host-a", HostStatus.VERIFIED, h -> !h.lastReportId().equals(failedReport));
    assertThat(trust(node("host-a"))).isEqualTo("untrusted");
    assertThat(node("host-a").getSpec().getUnschedulable()).isTrue();

    // onboarding now: unknown at once, verified once an attestation made after it passes
    http.post("/api/v1/hosts/host-a/onboard", "", true);
    awaitTrust("host-a", "verified");
    assertThat(node("host-a").getSpec().getUnschedulable()).isFalse();
    assertThat(vouch.monitor().registry().history("host-a").reversed())
        .extracting(c -> c.current())
        .startsWith(HostStatus.VERIFIED, HostStatus.UNKNOWN);
    evicted.addAll(evictions());
    assertThat(evicted).noneMatch(p -> p.contains("enclave-host-b"));
  }
}
