package dev.vouch.server.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.server.config.ServerConfig;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The webhook on {@code pods/binding} reviews (a scheduler binding a pod to a node), with pods and
 * node labels in the fabric8 mock API server in CRUD mode: the review carries only the Binding, so
 * the webhook reads the pod to learn whether it asks for trusted compute.
 */
@EnableKubernetesMockClient(crud = true)
class PodBindingAdmissionTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String UID = "7d3c2b1a-9e8f-4a6b-b5c4-d3e2f1a0b9c8";

  KubernetesMockServer server;
  KubernetesClient client;

  @BeforeEach
  void cluster() {
    PodAdmissionTest.labelledNodes(client);
    client.pods().inAnyNamespace().delete();
  }

  private void pod(String label, String runtimeClass) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName("web")
            .withNamespace("confidential")
            .endMetadata()
            .withNewSpec()
            .withRuntimeClassName(runtimeClass)
            .addNewContainer()
            .withName("web")
            .withImage("registry.example/web:1")
            .endContainer()
            .endSpec();
    if (label != null) {
      b.editMetadata().addToLabels(PodAdmission.TRUSTED_COMPUTE_LABEL, label).endMetadata();
    }
    client.pods().inNamespace("confidential").resource(b.build()).create();
  }

  private JsonNode answer(PodAdmission admission, String node) throws Exception {
    ObjectNode review = PodAdmissionTest.review("pod-binding.json");
    ((ObjectNode) review.path("request").path("object").path("target")).put("name", node);
    return answer(admission, review);
  }

  private static JsonNode answer(PodAdmission admission, JsonNode review) throws Exception {
    JsonNode r = JSON.readTree(admission.review(JSON.writeValueAsBytes(review))).path("response");
    assertThat(r.path("uid").asText()).isEqualTo(UID);
    assertThat(r.has("patch")).as("a binding is never patched").isFalse();
    return r;
  }

  private PodAdmission admission() {
    return new PodAdmission(
        ServerConfig.Kubernetes.defaults().admissionRuntimeClasses(), PodAdmission.lookup(client));
  }

  @Test
  void aTrustedPodBoundToAnUntrustedNodeIsRefusedNamingTheNodesStatus() throws Exception {
    pod("true", null);
    JsonNode r = answer(admission(), "node-a");
    assertThat(r.path("allowed").asBoolean()).isFalse();
    assertThat(r.path("status").path("code").asInt()).isEqualTo(403);
    assertThat(r.path("status").path("message").asText())
        .startsWith("node-not-verified: trusted pod bound to node node-a")
        .contains("vouch.dev/trust=untrusted");
  }

  @Test
  void aPodOfAKataTeeRuntimeClassBoundToAnUnlabelledNodeIsRefused() throws Exception {
    pod(null, "kata-qemu-snp");
    JsonNode r = answer(admission(), "node-unlabelled");
    assertThat(r.path("allowed").asBoolean()).isFalse();
    assertThat(r.path("status").path("message").asText()).contains("no vouch.dev/trust label");
  }

  @Test
  void aTrustedPodBoundToAVerifiedNodeIsAllowed() throws Exception {
    pod("true", "kata-qemu-tdx");
    assertThat(answer(admission(), "node-verified").path("allowed").asBoolean()).isTrue();
  }

  @Test
  void aPlainPodMayBeBoundToAnUntrustedNode() throws Exception {
    pod("false", "runc");
    assertThat(answer(admission(), "node-a").path("allowed").asBoolean()).isTrue();
  }

  @Test
  void aBindingOfAPodThatDoesNotExistIsLeftToTheApiServer() throws Exception {
    assertThat(answer(admission(), "node-a").path("allowed").asBoolean()).isTrue();
  }

  @Test
  void withoutAKubernetesApiEveryBindingIsRefusedAsUnreadable() throws Exception {
    PodAdmission none = new PodAdmission(List.of("kata-cc"), PodAdmission.noCluster());
    JsonNode r = answer(none, "node-verified");
    assertThat(r.path("allowed").asBoolean()).isFalse();
    assertThat(r.path("status").path("message").asText())
        .startsWith("pod-unreadable: ")
        .contains("confidential/web");
  }

  @Test
  void aBindingWithoutATargetNodeOrPodNameIsMalformed() throws Exception {
    for (String broken : List.of("target", "name", "kind")) {
      ObjectNode review = PodAdmissionTest.review("pod-binding.json");
      ObjectNode req = (ObjectNode) review.path("request");
      switch (broken) {
        case "target" -> ((ObjectNode) req.path("object")).remove("target");
        case "name" -> req.remove("name");
        default -> ((ObjectNode) req.path("object").path("target")).put("kind", "Pod");
      }
      JsonNode r = answer(admission(), review);
      assertThat(r.path("allowed").asBoolean()).as(broken).isFalse();
      assertThat(r.path("status").path("code").asInt()).as(broken).isEqualTo(400);
      assertThat(r.path("status").path("message").asText())
          .as(broken)
          .startsWith("malformed-review: ");
    }
  }

  @Test
  void aBindingReviewForAnotherOperationIsAllowed() throws Exception {
    pod("true", null);
    ObjectNode review = PodAdmissionTest.review("pod-binding.json");
    ((ObjectNode) review.path("request")).put("operation", "UPDATE");
    assertThat(answer(admission(), review).path("allowed").asBoolean()).isTrue();
  }
}
