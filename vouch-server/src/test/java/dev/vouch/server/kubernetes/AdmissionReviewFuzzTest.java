package dev.vouch.server.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.server.actions.NodeTrust;
import java.util.List;
import java.util.Optional;

/**
 * Coverage-guided fuzz target (Jazzer) for the AdmissionReview parser. The property: any body gets
 * an admission.k8s.io/v1 AdmissionReview back with a boolean {@code allowed}, a refusal always
 * carries a coded message, and nothing else escapes (no exception, hang or out-of-memory). Node
 * lookups answer from a fixed table so the fuzzer reaches the pinned-node paths too.
 *
 * <p>In a normal test run the target runs once per seed in {@code
 * AdmissionReviewFuzzTestInputs/admissionReview} (the test resources' AdmissionReview files);
 * {@code JAZZER_FUZZ=1} fuzzes it.
 */
class AdmissionReviewFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PodAdmission ADMISSION =
      new PodAdmission(
          List.of("kata-qemu-tdx", "kata-cc"),
          new PodAdmission.NodeLookup() {
            @Override
            public PodAdmission.NodeState node(String name) {
              return switch (name) {
                case "node-verified" -> new PodAdmission.Present(Optional.of(NodeTrust.VERIFIED));
                case "node-a" -> new PodAdmission.Present(Optional.of(NodeTrust.UNTRUSTED));
                case "node-unreadable" -> new PodAdmission.Unreadable("down");
                default -> new PodAdmission.Absent();
              };
            }

            // pods of pods/binding reviews: the seed's "web" asks for trusted compute
            @Override
            public PodAdmission.PodState pod(String namespace, String name) {
              return switch (name) {
                case "web" -> new PodAdmission.PodFound(Optional.of("true"), Optional.empty());
                case "plain" -> new PodAdmission.PodFound(Optional.empty(), Optional.of("runc"));
                case "down" -> new PodAdmission.Unreadable("down");
                default -> new PodAdmission.Absent();
              };
            }
          });

  @FuzzTest(maxDuration = "30s")
  void admissionReview(byte[] data) throws Exception {
    JsonNode out = JSON.readTree(ADMISSION.review(data));
    assertThat(out.path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
    JsonNode r = out.path("response");
    assertThat(r.path("allowed").isBoolean()).isTrue();
    assertThat(r.path("uid").isTextual()).isTrue();
    if (!r.path("allowed").asBoolean()) {
      assertThat(r.path("status").path("message").asText())
          .matches(
              "(?s)(malformed-review|not-a-pod|node-not-verified|node-unreadable|pod-unreadable): .*");
    }
  }
}
