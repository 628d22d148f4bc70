package dev.vouch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.server.actions.HostRef;
import dev.vouch.server.actions.NodeActionException;
import dev.vouch.server.actions.NodeActionSettings;
import dev.vouch.server.actions.NodeActions;
import dev.vouch.server.actions.NodeTrust;
import dev.vouch.server.kubernetes.PodAdmission;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The chart's RBAC grants exactly what the server uses. What it uses is not written down here: the
 * test drives every Kubernetes call of the server's production classes ({@link NodeActions}:
 * finding a host's node with and without a host label, labelling, cordoning, restoring, evicting;
 * and the admission webhook's node and pod lookups) against the fabric8 mock API server in CRUD
 * mode, records the HTTP requests they make, and turns each into the RBAC verb, group and resource
 * the API server would check. That set must equal the rules of the rendered ClusterRole.
 */
@EnableKubernetesMockClient(crud = true)
class ChartRbacTest {
  KubernetesMockServer server;
  KubernetesClient client;

  /** One RBAC permission: {@code group/resource verb}. */
  record Permission(String group, String resource, String verb) implements Comparable<Permission> {
    @Override
    public int compareTo(Permission o) {
      return toString().compareTo(o.toString());
    }
  }

  @Test
  void clusterRoleGrantsExactlyTheRequestsTheServerMakes() throws Exception {
    Set<Permission> used = permissionsUsedByTheServer();
    RenderedChart chart = RenderedChart.defaults();
    assertThat(chart.all(Role.class)).isEmpty();
    assertThat(chart.all(ClusterRole.class)).hasSize(1);
    Set<Permission> granted = new TreeSet<>();
    for (PolicyRule r : chart.all(ClusterRole.class).get(0).getRules()) {
      assertThat(r.getResourceNames()).as("rules name no single objects").isNullOrEmpty();
      for (String g : r.getApiGroups()) {
        for (String res : r.getResources()) {
          for (String v : r.getVerbs()) {
            granted.add(new Permission(g, res, v));
          }
        }
      }
    }
    assertThat(granted).isEqualTo(used);
    assertThat(used)
        .as("the calls this test drives reach every kind of request")
        .contains(
            new Permission("", "nodes", "update"), new Permission("", "pods/eviction", "create"));
  }

  @Test
  void theRoleIsBoundToTheServersServiceAccountOnly() {
    RenderedChart chart = RenderedChart.defaults();
    ClusterRoleBinding b = chart.all(ClusterRoleBinding.class).get(0);
    assertThat(b.getRoleRef().getName())
        .isEqualTo(chart.all(ClusterRole.class).get(0).getMetadata().getName());
    String sa =
        chart
            .get(Deployment.class, RenderedChart.RELEASE)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getServiceAccountName();
    assertThat(b.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getKind()).isEqualTo("ServiceAccount");
              assertThat(s.getName()).isEqualTo(sa);
              assertThat(s.getNamespace()).isEqualTo(RenderedChart.NAMESPACE);
            });
  }

  private Set<Permission> permissionsUsedByTheServer() throws Exception {
    client
        .nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName("node-a")
                .addToLabels("vouch.dev/host-id", "h1")
                .endMetadata()
                .withNewSpec()
                .endSpec()
                .build())
        .create();
    client
        .pods()
        .inNamespace("shop")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("web-1")
                .withNamespace("shop")
                .endMetadata()
                .withNewSpec()
                .withNodeName("node-a")
                .endSpec()
                .build())
        .create();
    drain(server.getRequestCount());
    int before = server.getRequestCount();

    NodeActions plain = new NodeActions(client, NodeActionSettings.defaults(), Clock.systemUTC());
    NodeActions labelled =
        new NodeActions(
            client,
            NodeActionSettings.defaults().withHostLabel("vouch.dev/host-id"),
            Clock.systemUTC());
    assertThat(plain.nodesOf(new HostRef("h1", "node-a"))).containsExactly("node-a");
    assertThat(labelled.nodesOf(new HostRef("h1", "other-name"))).containsExactly("node-a");
    assertThat(plain.label("node-a", NodeTrust.VERIFIED)).isEqualTo(NodeActions.Outcome.CHANGED);
    assertThat(plain.cordon("node-a", "ATTESTATION_FAILED")).isEqualTo(NodeActions.Outcome.CHANGED);
    assertThat(plain.restore("node-a")).isEqualTo(NodeActions.Outcome.CHANGED);
    try {
      plain.evictPods("node-a");
    } catch (NodeActionException e) {
      // the CRUD mock does not serve the eviction subresource; the request was made and recorded
    }
    assertThat(PodAdmission.lookup(client).node("node-a")).isInstanceOf(PodAdmission.Present.class);
    assertThat(PodAdmission.lookup(client).pod("shop", "web-1"))
        .isInstanceOf(PodAdmission.PodFound.class);

    Set<Permission> used = new TreeSet<>();
    for (RecordedRequest r : drain(server.getRequestCount() - before)) {
      used.add(permission(r.getMethod(), r.getPath()));
    }
    return used;
  }

  private List<RecordedRequest> drain(int n) throws InterruptedException {
    List<RecordedRequest> out = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      RecordedRequest r = server.takeRequest(10, TimeUnit.SECONDS);
      assertThat(r).as("request %d of %d", i + 1, n).isNotNull();
      out.add(r);
    }
    return out;
  }

  /** The permission the API server checks for one REST request (its authorization attributes). */
  static Permission permission(String method, String pathAndQuery) {
    int q = pathAndQuery.indexOf('?');
    String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
    String query = q < 0 ? "" : pathAndQuery.substring(q + 1);
    List<String> seg = Arrays.asList(path.replaceFirst("^/", "").split("/"));
    String group;
    List<String> rest;
    if (seg.get(0).equals("api")) {
      group = "";
      rest = seg.subList(2, seg.size());
    } else if (seg.get(0).equals("apis")) {
      group = seg.get(1);
      rest = seg.subList(3, seg.size());
    } else {
      throw new AssertionError("not an API path: " + pathAndQuery);
    }
    if (rest.size() > 2 && rest.get(0).equals("namespaces")) {
      rest = rest.subList(2, rest.size());
    }
    String resource = rest.get(0) + (rest.size() > 2 ? "/" + rest.get(2) : "");
    boolean named = rest.size() > 1;
    String verb =
        switch (method) {
          case "GET" -> query.contains("watch=true") ? "watch" : named ? "get" : "list";
          case "POST" -> "create";
          case "PUT" -> "update";
          case "PATCH" -> "patch";
          case "DELETE" -> named ? "delete" : "deletecollection";
          default -> throw new AssertionError("unexpected method " + method);
        };
    return new Permission(group, resource, verb);
  }
}
