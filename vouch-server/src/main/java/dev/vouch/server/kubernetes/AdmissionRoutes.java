package dev.vouch.server.kubernetes;

import static dev.vouch.server.http.JsonSchema.*;

import dev.vouch.server.http.Routes;
import io.javalin.http.Context;
import java.util.List;
import java.util.Objects;

/**
 * {@code POST /api/v1/kubernetes/admission/pods}: the pod admission webhook. A public route: in
 * production the API server is its only caller, reaching the server over TLS with the CA bundle of
 * the MutatingWebhookConfiguration, and a NetworkPolicy keeps others out; the answer reveals only a
 * node's trust label, which any pod may read from the node anyway. Always 200 with an
 * AdmissionReview, also for malformed input, so the API server shows the refusal's reason rather
 * than a webhook failure.
 */
public final class AdmissionRoutes {
  private final PodAdmission admission;

  public AdmissionRoutes(PodAdmission admission) {
    this.admission = Objects.requireNonNull(admission, "admission");
  }

  public void register(Routes r) {
    r.open(
            "POST",
            "/api/v1/kubernetes/admission/pods",
            "Kubernetes mutating admission webhook for pods (admission.k8s.io/v1 AdmissionReview):"
                + " trusted-compute pods are required onto vouch.dev/trust=verified nodes",
            "application/json",
            "application/json",
            List.of(200),
            this::review)
        .takes(object("apiVersion", STRING, "kind", oneOf("AdmissionReview"), "request", OBJECT))
        .returns(
            object(
                "apiVersion", STRING,
                "kind", oneOf("AdmissionReview"),
                "response", object("uid", STRING, "allowed", BOOLEAN)));
  }

  private void review(Context ctx) {
    ctx.status(200).contentType("application/json").result(admission.review(ctx.bodyAsBytes()));
  }
}
