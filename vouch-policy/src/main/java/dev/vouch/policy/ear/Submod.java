package dev.vouch.policy.ear;

import dev.vouch.policy.Appraisal;
import dev.vouch.policy.Tier;
import dev.vouch.policy.TrustVector;
import java.util.Map;

/**
 * One appraised attester in an EAR ({@code submods.<name>}).
 *
 * @param status the {@code ear.status}
 * @param trustVector the {@code ear.trustworthiness-vector}
 * @param policyId the {@code ear.appraisal-policy-id}
 * @param annotatedEvidence the claims the appraisal saw ({@code ear.veraison.annotated-evidence})
 */
public record Submod(
    Tier status, TrustVector trustVector, String policyId, Map<String, Object> annotatedEvidence) {

  public Submod {
    annotatedEvidence = Map.copyOf(annotatedEvidence);
  }

  /** The submod for an appraisal of the given claims. */
  public static Submod of(Appraisal appraisal, Map<String, ?> claims) {
    return new Submod(
        appraisal.status(), appraisal.trustVector(), appraisal.policyId(), Map.copyOf(claims));
  }
}
