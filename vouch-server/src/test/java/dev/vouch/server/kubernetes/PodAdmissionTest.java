package dev.vouch.server.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.server.config.ServerConfig;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.zjsonpatch.JsonPatch;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The pod admission webhook on AdmissionReview JSON as the API server sends it, with node labels
 * read from the fabric8 mock API server in CRUD mode. Patches are applied with zjsonpatch (an
 * independent RFC 6902 implementation) and the result read into fabric8's Pod model.
 */
@EnableKubernetesMockClient(crud = true)
class PodAdmissionTest {
  static final ObjectMapper JSON = new ObjectMapper();

  KubernetesMockServer server;
  KubernetesClient client;

  @BeforeEach
  void nodes() {
    labelledNodes(client);
  }

  /**
   * Replaces the mock cluster's nodes: node-verified, node-a (untrusted), node-unknown and
   * node-unlabelled.
   */
  static void labelledNodes(KubernetesClient client) {
    client.nodes().delete();
    node(client, "node-verified", "verified");
    node(client, "node-a", "untrusted");
    node(client, "node-unknown", "unknown");
    node(client, "node-unlabelled", null);
  }

  private static void node(KubernetesClient client, String name, String trust) {
    NodeBuilder b = new NodeBuilder().withNewMetadata().withName(name).endMetadata();
    if (trust != null) {
      b.editMetadata().addToLabels("vouch.dev/trust", trust).endMetadata();
    }
    client.nodes().resource(b.build()).create();
  }

  private PodAdmission admission() {
    return new PodAdmission(
        ServerConfig.Kubernetes.defaults().admissionRuntimeClasses(), PodAdmission.lookup(client));
  }

  static ObjectNode review(String file) throws Exception {
    try (InputStream in =
        PodAdmissionTest.class.getResourceAsStream("/kubernetes/admission/" + file)) {
      return (ObjectNode) JSON.readTree(in);
    }
  }

  private JsonNode answer(JsonNode review) throws Exception {
    return answer(JSON.writeValueAsBytes(review));
  }

  private JsonNode answer(byte[] body) throws Exception {
    JsonNode out = JSON.readTree(admission().review(body));
    assertThat(out.path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
    assertThat(out.path("kind").asText()).isEqualTo("AdmissionReview");
    return out.path("response");
  }

  /** The pod after the response's patch, as fabric8 reads it. */
  private static Pod patched(JsonNode review, JsonNode response) throws Exception {
    assertThat(response.path("patchType").asText()).isEqualTo("JSONPatch");
    // zjsonpatch is built on Jackson 3: the documents cross over as bytes
    tools.jackson.databind.ObjectMapper j3 = new tools.jackson.databind.json.JsonMapper();
    tools.jackson.databind.JsonNode patch =
        j3.readTree(Base64.getDecoder().decode(response.path("patch").asText()));
    tools.jackson.databind.JsonNode pod =
        JsonPatch.apply(
            patch, j3.readTree(JSON.writeValueAsBytes(review.path("request").path("object"))));
    return JSON.readValue(j3.writeValueAsBytes(pod), Pod.class);
  }

  private static boolean demandsVerified(NodeSelectorTerm t) {
    return t.getMatchExpressions() != null
        && t.getMatchExpressions().stream()
            .anyMatch(
                e ->
                    e.getKey().equals("vouch.dev/trust")
                        && e.getOperator().equals("In")
                        && e.getValues().equals(List.of("verified")));
  }

  @Test
  void aPodLabelledForTrustedComputeGetsARequiredAffinityOnVerifiedNodes() throws Exception {
    ObjectNode review = review("trusted-label-pod.json");
    JsonNode r = answer(review);

    assertThat(r.path("uid").asText()).isEqualTo("705ab4f5-6393-11e8-b7cc-42010a800002");
    assertThat(r.path("allowed").asBoolean()).isTrue();
    Pod pod = patched(review, r);
    List<NodeSelectorTerm> terms =
        pod.getSpec()
            .getAffinity()
            .getNodeAffinity()
            .getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms();
    assertThat(terms).singleElement().satisfies(t -> assertThat(demandsVerified(t)).isTrue());
    // nothing else of the pod changed
    assertThat(pod.getSpec().getContainers())
        .singleElement()
        .extracting(c -> c.getImage())
        .isEqualTo("registry.example/app:1.4");
    assertThat(pod.getSpec().getTolerations()).hasSize(2);
  }

  @Test
  void aKataTdxPodGetsTheRequirementInEveryExistingTermAndKeepsItsOwn() throws Exception {
    ObjectNode review = review("kata-tdx-pod-with-affinity.json");
    JsonNode r = answer(review);

    assertThat(r.path("allowed").asBoolean()).isTrue();
    List<NodeSelectorTerm> terms =
        patched(review, r)
            .getSpec()
            .getAffinity()
            .getNodeAffinity()
            .getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms();
    // terms are ORed: a term without the requirement would let the pod onto any node
    assertThat(terms).hasSize(2).allSatisfy(t -> assertThat(demandsVerified(t)).isTrue());
    assertThat(terms.get(0).getMatchExpressions())
        .anySatisfy(e -> assertThat(e.getKey()).isEqualTo("topology.kubernetes.io/zone"));
    assertThat(terms.get(1).getMatchFields())
        .singleElement()
        .satisfies(f -> assertThat(f.getValues()).containsExactly("node-b"));
  }

  @Test
  void aPodAlreadyCarryingTheRequirementIsAllowedWithoutAPatch() throws Exception {
    ObjectNode review = review("trusted-label-pod.json");
    Pod once = patched(review, answer(review));
    ((ObjectNode) review.path("request")).set("object", JSON.valueToTree(once));

    JsonNode again = answer(review);

    assertThat(again.path("allowed").asBoolean()).isTrue();
    assertThat(again.has("patch")).isFalse();
  }

  @Test
  void aPlainPodPassesUnchanged() throws Exception {
    JsonNode r = answer(review("plain-pod.json"));

    assertThat(r.path("uid").asText()).isEqualTo("b1f7c6a4-3e0a-4c8e-8f6d-2a9b7c4d5e60");
    assertThat(r.path("allowed").asBoolean()).isTrue();
    assertThat(r.has("patch")).isFalse();
    assertThat(r.has("patchType")).isFalse();
  }

  @Test
  void aRuntimeClassOutsideTheConfiguredListIsAPlainPod() throws Exception {
    ObjectNode review = review("kata-tdx-pod-with-affinity.json");
    PodAdmission onlySnp = new PodAdmission(List.of("kata-qemu-snp"), PodAdmission.lookup(client));

    JsonNode r = JSON.readTree(onlySnp.review(JSON.writeValueAsBytes(review))).path("response");

    assertThat(r.path("allowed").asBoolean()).isTrue();
    assertThat(r.has("patch")).isFalse();
  }

  @Test
  void aTrustedPodPinnedToAnUntrustedNodeIsRefusedNamingTheNodesStatus() throws Exception {
    JsonNode r = answer(review("trusted-pod-pinned.json"));

    assertThat(r.path("uid").asText()).isEqualTo("e3c1d2b4-8f7a-4d6e-9c5b-3a2f1e0d9c88");
    assertThat(r.path("allowed").asBoolean()).isFalse();
    assertThat(r.path("status").path("code").asInt()).isEqualTo(403);
    assertThat(r.path("status").path("message").asText())
        .startsWith("node-not-verified: ")
        .contains("node node-a")
        .contains("vouch.dev/trust=untrusted");
  }

  @ParameterizedTest
  @ValueSource(strings = {"node-unknown", "node-unlabelled", "no-such-node"})
  void aTrustedPodPinnedToANodeNotLabelledVerifiedIsRefused(String node) throws Exception {
    ObjectNode review = review("trusted-pod-pinned.json");
    ((ObjectNode) review.path("request").path("object").path("spec")).put("nodeName", node);

    JsonNode r = answer(review);

    assertThat(r.path("allowed").asBoolean()).isFalse();
    assertThat(r.path("status").path("message").asText())
        .startsWith("node-not-verified: ")
        .contains("node " + node + ", whose status is ");
  }

  @Test
  void aTrustedPodPinnedToAVerifiedNodeIsAllowedWithTheAffinity() throws Exception {
    ObjectNode review = review("trusted-pod-pinned.json");
    ((ObjectNode) review.path("request").path("object").path("spec"))
        .put("nodeName", "node-verified");

    JsonNode r = answer(review);

    assertThat(r.path("allowed").asBoolean()).isTrue();
    assertThat(patched(review, r).getSpec().getAffinity()).isNotNull();
  }

  @Test
  void aPlainPodPinnedToAnUntrustedNodeIsAllowed() throws Exception {
    ObjectNode review = review("plain-pod.json");
    ((ObjectNode) review.path("request").path("object").path("spec")).put("nodeName", "node-a");

    assertThat(answer(review).path("allowed").asBoolean()).isTrue();
  }

  @Test
  void withoutAKubernetesApiAPinnedTrustedPodIsRefusedAsUnreadable() throws Exception {
    PodAdmission none = new PodAdmission(List.of("kata-cc"), PodAdmission.noCluster());

    JsonNode r =
        JSON.readTree(none.review(JSON.writeValueAsBytes(review("trusted-pod-pinned.json"))))
            .path("response");

    assertThat(r.path("allowed").asBoolean()).isFalse();
    assertThat(r.path("status").path("message").asText()).startsWith("node-unreadable: ");
  }

  @Test
  void anUpdateIsAllowedUnchanged() throws Exception {
    ObjectNode review = review("trusted-label-pod.json");
    ((ObjectNode) review.path("request")).put("operation", "UPDATE");

    JsonNode r = answer(review);

    assertThat(r.path("allowed").asBoolean()).isTrue();
    assertThat(r.has("patch")).isFalse();
  }

  private void assertRefused(JsonNode r, String uid, String code) {
    assertThat(r.path("uid").asText()).isEqualTo(uid);
    assertThat(r.path("allowed").asBoolean()).isFalse();
    assertThat(r.path("status").path("code").asInt()).isEqualTo(400);
    assertThat(r.path("status").path("message").asText()).startsWith(code + ": ");
  }

  @Test
  void malformedBodiesAreRefusedWithAReasonNeverAnError() throws Exception {
    byte[] good = JSON.writeValueAsBytes(review("trusted-label-pod.json"));
    assertRefused(answer(new byte[0]), "", "malformed-review");
    assertRefused(answer("not json".getBytes(StandardCharsets.UTF_8)), "", "malformed-review");
    assertRefused(answer(Arrays.copyOf(good, good.length / 2)), "", "malformed-review");
    assertRefused(answer("[]".getBytes(StandardCharsets.UTF_8)), "", "malformed-review");
    assertRefused(answer(new byte[PodAdmission.MAX_REVIEW_BYTES + 1]), "", "malformed-review");
    String dup =
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
            + "\"request\":{\"uid\":\"u1\",\"uid\":\"u2\"}}";
    assertRefused(answer(dup.getBytes(StandardCharsets.UTF_8)), "", "malformed-review");
  }

  @Test
  void aReviewWithTheWrongEnvelopeIsRefusedEchoingItsUid() throws Exception {
    String uid = "705ab4f5-6393-11e8-b7cc-42010a800002";
    ObjectNode v1beta1 = review("trusted-label-pod.json");
    v1beta1.put("apiVersion", "admission.k8s.io/v1beta1");
    assertRefused(answer(v1beta1), uid, "malformed-review");

    ObjectNode noUid = review("trusted-label-pod.json");
    ((ObjectNode) noUid.path("request")).remove("uid");
    assertRefused(answer(noUid), "", "malformed-review");

    ObjectNode deployment = review("trusted-label-pod.json");
    ((ObjectNode) deployment.path("request").path("kind")).put("kind", "Deployment");
    assertRefused(answer(deployment), uid, "not-a-pod");

    ObjectNode binding = review("trusted-label-pod.json");
    ((ObjectNode) binding.path("request")).put("subResource", "binding");
    assertRefused(answer(binding), uid, "not-a-pod");

    ObjectNode noSpec = review("trusted-label-pod.json");
    ((ObjectNode) noSpec.path("request").path("object")).remove("spec");
    assertRefused(answer(noSpec), uid, "malformed-review");
  }

  @Test
  void wronglyTypedPodFieldsAreRefusedNotSkipped() throws Exception {
    String uid = "705ab4f5-6393-11e8-b7cc-42010a800002";
    ObjectNode numericLabel = review("trusted-label-pod.json");
    ((ObjectNode) numericLabel.path("request").path("object").path("metadata").path("labels"))
        .put("vouch.dev/trusted-compute", 1);
    assertRefused(answer(numericLabel), uid, "malformed-review");

    ObjectNode listAffinity = review("trusted-label-pod.json");
    ((ObjectNode) listAffinity.path("request").path("object").path("spec")).putArray("affinity");
    assertRefused(answer(listAffinity), uid, "malformed-review");

    ObjectNode objectTerms = review("kata-tdx-pod-with-affinity.json");
    ((ObjectNode)
            objectTerms
                .path("request")
                .path("object")
                .path("spec")
                .path("affinity")
                .path("nodeAffinity")
                .path("requiredDuringSchedulingIgnoredDuringExecution"))
        .putObject("nodeSelectorTerms");
    assertRefused(answer(objectTerms), "0c5b8d2e-5d2b-4b8c-9a52-1f0f3e6f2a11", "malformed-review");
  }
}
