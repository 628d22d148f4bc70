package dev.vouch.server.actions;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodListBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pod eviction against the mock API server in expectations mode: its CRUD mode does not implement
 * the eviction subresource, so the requests and answers are scripted here.
 */
@EnableKubernetesMockClient
class PodEvictionTest {
  KubernetesMockServer server;
  KubernetesClient client;

  static Pod pod(String ns, String name, String node, String ownerKind) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace(ns)
            .withName(name)
            .endMetadata()
            .withNewSpec()
            .withNodeName(node)
            .endSpec();
    if (ownerKind != null) {
      b.editMetadata()
          .addNewOwnerReference()
          .withKind(ownerKind)
          .withName("owner")
          .withApiVersion("apps/v1")
          .withUid("u")
          .endOwnerReference()
          .endMetadata();
    }
    return b.build();
  }

  @Test
  void evictsThePodsOfTheNodeOnlyAndReportsBudgetRefusalsAndDaemonSets() throws Exception {
    server
        .expect()
        .get()
        .withPath("/api/v1/pods")
        .andReturn(
            200,
            new PodListBuilder()
                .withItems(
                    pod("shop", "web-1", "node-a", "ReplicaSet"),
                    pod("shop", "db-0", "node-a", "StatefulSet"),
                    pod("kube-system", "agent-x", "node-a", "DaemonSet"),
                    pod("shop", "web-2", "node-b", "ReplicaSet"))
                .build())
        .once();
    server
        .expect()
        .post()
        .withPath("/api/v1/namespaces/shop/pods/web-1/eviction")
        .andReturn(201, new StatusBuilder().withStatus("Success").build())
        .once();
    server
        .expect()
        .post()
        .withPath("/api/v1/namespaces/shop/pods/db-0/eviction")
        .andReturn(
            429,
            new StatusBuilder()
                .withStatus("Failure")
                .withCode(429)
                .withReason("TooManyRequests")
                .withMessage("Cannot evict pod as it would violate the pod's disruption budget.")
                .build())
        .always();

    // the client retries a 429 with backoff (seconds) before evict() answers false: not here
    NodeActions.Eviction e;
    try (KubernetesClient noRetry =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(client.getConfiguration())
                    .withRequestRetryBackoffLimit(0)
                    .build())
            .build()) {
      e =
          new NodeActions(noRetry, NodeActionSettings.defaults(), Clock.systemUTC())
              .evictPods("node-a");
    }

    assertThat(e.evicted()).containsExactly("shop/web-1");
    assertThat(e.refused()).containsExactly("shop/db-0");
    assertThat(e.skipped()).containsExactly("kube-system/agent-x");
    List<String> posts = new ArrayList<>();
    int n = server.getRequestCount();
    for (int i = 0; i < n; i++) {
      RecordedRequest r = server.takeRequest();
      if ("POST".equals(r.getMethod())) {
        posts.add(r.getPath());
        assertThat(r.getBody().readUtf8()).contains("\"kind\":\"Eviction\"");
      }
    }
    assertThat(posts)
        .containsExactlyInAnyOrder(
            "/api/v1/namespaces/shop/pods/web-1/eviction",
            "/api/v1/namespaces/shop/pods/db-0/eviction");
  }
}
