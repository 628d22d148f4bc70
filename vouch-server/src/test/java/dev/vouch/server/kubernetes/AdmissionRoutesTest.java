package dev.vouch.server.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.server.TestServers;
import dev.vouch.server.http.VouchServer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admission route on a running server without a Kubernetes API: public, always 200. */
class AdmissionRoutesTest {
  @TempDir Path dir;

  @Test
  void theWebhookAnswersWithoutACredentialAndRefusesMalformedReviewsWithA200() throws Exception {
    try (VouchServer vouch = VouchServer.start(TestServers.plain(dir))) {
      TestServers.Client http = new TestServers.Client(vouch.baseUri());
      String plain = PodAdmissionTest.review("plain-pod.json").toString();

      TestServers.Reply ok = http.post("/api/v1/kubernetes/admission/pods", plain, false);
      assertThat(ok.status()).isEqualTo(200);
      assertThat(ok.json().path("response").path("allowed").asBoolean()).isTrue();
      assertThat(ok.json().path("response").path("uid").asText())
          .isEqualTo("b1f7c6a4-3e0a-4c8e-8f6d-2a9b7c4d5e60");

      TestServers.Reply bad =
          http.post("/api/v1/kubernetes/admission/pods", "{\"apiVersion\":", false);
      assertThat(bad.status()).isEqualTo(200);
      JsonNode r = bad.json().path("response");
      assertThat(r.path("allowed").asBoolean()).isFalse();
      assertThat(r.path("status").path("message").asText()).startsWith("malformed-review: ");

      // pinned trusted pods cannot be checked without a Kubernetes API: refused, fail closed
      String pinned = PodAdmissionTest.review("trusted-pod-pinned.json").toString();
      JsonNode p = http.post("/api/v1/kubernetes/admission/pods", pinned, false).json();
      assertThat(p.path("response").path("status").path("message").asText())
          .startsWith("node-unreadable: ");

      JsonNode op =
          http.get("/api/v1/openapi.json", false)
              .json()
              .path("paths")
              .path("/api/v1/kubernetes/admission/pods")
              .path("post");
      assertThat(op.isObject()).isTrue();
      assertThat(op.has("x-vouch-permission")).isFalse();
    }
  }
}
