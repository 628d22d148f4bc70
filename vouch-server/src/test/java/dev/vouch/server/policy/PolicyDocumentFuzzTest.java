package dev.vouch.server.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.vouch.policy.Appraisal;
import dev.vouch.policy.EvaluationLimits;
import dev.vouch.policy.PolicyCompiler;
import dev.vouch.policy.PolicyEngine;
import dev.vouch.policy.PolicyException;
import dev.vouch.server.kbs.KbsError;
import dev.vouch.server.kbs.ResourcePath;
import dev.vouch.server.kbs.ResourcePolicy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Jazzer fuzz targets for the policy documents the server accepts: attestation policies ({@code PUT
 * /v1/policies/{id}} and Trustee's {@code /kbs/v0/attestation-policy}: CEL rule documents and AR4SI
 * trust-claim documents, told apart as {@link AppraisalPolicy#compile} does) and the KBS resource
 * policy ({@link ResourcePolicy#compile}). The property: a document is refused with a {@link
 * PolicyException} (a {@link KbsError} {@code ParsePolicyError} for the resource policy), or it
 * compiles and then appraises sample claims within the evaluation limits without throwing, as a
 * stored policy must on every attestation. Seeds are the shipped and Trustee-translated policies,
 * in {@code PolicyDocumentFuzzTestInputs/<target>}.
 */
class PolicyDocumentFuzzTest {
  private static final PolicyCompiler COMPILER = new PolicyCompiler(EvaluationLimits.DEFAULT);
  private static final Map<String, Object> CLAIMS =
      Map.of(
          "sample.svn",
          "1",
          "sample.debug",
          false,
          "tpm.pcr.sha256.0",
          "00".repeat(32),
          "tee",
          "sample");
  private static final Map<String, Object> REFERENCE =
      Map.of("sample.svn", List.of("1"), "sample.launch_digest", List.of("ab".repeat(48)));
  private static final Map<String, Object> TOKEN_CLAIMS =
      Map.of(
          "submods",
          Map.of(
              "cpu0",
              Map.of(
                  "ear.status",
                  "affirming",
                  "ear.veraison.annotated-evidence",
                  Map.of("sample", Map.of("productId", "a")))));

  @FuzzTest(maxDuration = "30s")
  void attestationPolicy(byte[] data) {
    AppraisalPolicy p;
    try {
      p = AppraisalPolicy.compile(COMPILER, "fuzz", 1, new String(data, StandardCharsets.UTF_8));
    } catch (PolicyException e) {
      assertThat(e.getMessage()).startsWith("policy fuzz");
      return;
    }
    switch (p) {
      case AppraisalPolicy.Rules r -> {
        Appraisal a = PolicyEngine.evaluate(r.policy(), CLAIMS, REFERENCE, Map.of());
        assertThat(a.trustVector()).isNotNull();
      }
      case AppraisalPolicy.TrustClaims t ->
          assertThat(t.policy().evaluate(Map.of("sample", CLAIMS), REFERENCE).vector()).isNotNull();
    }
  }

  @FuzzTest(maxDuration = "30s")
  void resourcePolicy(byte[] data) throws KbsError {
    ResourcePolicy p;
    try {
      p = ResourcePolicy.compile(new String(data, StandardCharsets.UTF_8));
    } catch (KbsError e) {
      assertThat(e.kind()).isEqualTo(KbsError.Kind.ParsePolicyError);
      return;
    }
    assertThat(p.decide(TOKEN_CLAIMS, ResourcePath.of("a", "b", "c")).reasons()).isNotNull();
  }
}
