package dev.vouch.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyEngineTest {

  private static Policy policy(String expr, String onFail) throws PolicyException {
    return PolicyCompiler.compile(
        "t",
        "rules:\n  - name: r\n    category: executables\n    on_fail: "
            + onFail
            + "\n    expr: '"
            + expr.replace("'", "''")
            + "'\n");
  }

  private static RuleResult only(String expr, Map<String, ?> claims, Map<String, ?> reference)
      throws PolicyException {
    Appraisal a =
        PolicyEngine.evaluate(policy(expr, "contraindicated"), claims, reference, Map.of());
    assertThat(a.rules()).hasSize(1);
    return a.rules().get(0);
  }

  @Test
  void explainsAnEqualityWithALiteralByClaimExpectedAndActual() throws Exception {
    RuleResult r = only("claims[\"tdx.debug\"] == false", Map.of("tdx.debug", true), Map.of());
    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.findings())
        .containsExactly(new Finding.Comparison("tdx.debug", "==", false, null, true, false));
    assertThat(r.explanation()).isEqualTo("claim tdx.debug: expected == false, actual true");
  }

  @Test
  void explainsMembershipInAReferenceListWithTheReferenceName() throws Exception {
    RuleResult r =
        only(
            "claims[\"m\"] in reference[\"golden\"]",
            Map.of("m", "cc"),
            Map.of("golden", List.of("aa", "bb")));
    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.explanation())
        .isEqualTo("claim m: expected one of reference golden = [\"aa\", \"bb\"], actual \"cc\"");
    RuleResult ok =
        only(
            "claims[\"m\"] in reference[\"golden\"]",
            Map.of("m", "bb"),
            Map.of("golden", List.of("aa", "bb")));
    assertThat(ok.outcome()).isEqualTo(Outcome.PASSED);
    assertThat(ok.tier()).isEqualTo(Tier.AFFIRMING);
    assertThat(ok.findings().get(0).holds()).isTrue();
  }

  @Test
  void explainsALiteralOnTheLeftFromTheClaimsSide() throws Exception {
    RuleResult r = only("3 <= claims[\"svn\"]", Map.of("svn", 2), Map.of());
    assertThat(r.findings())
        .containsExactly(new Finding.Comparison("svn", ">=", 3L, null, 2L, false));
  }

  @Test
  void explainsAComparisonWithAReferenceElement() throws Exception {
    RuleResult r =
        only(
            "claims[\"snp.reported_tcb.snp\"] >= reference[\"min\"][0]",
            Map.of("snp.reported_tcb.snp", 7L),
            Map.of("min", List.of(8L)));
    assertThat(r.explanation())
        .isEqualTo("claim snp.reported_tcb.snp: expected >= reference min[0] = 8, actual 7");
  }

  @Test
  void explainsANegatedMembershipAsNotIn() throws Exception {
    RuleResult r =
        only("!(claims[\"s\"] in [\"Revoked\", \"OutOfDate\"])", Map.of("s", "Revoked"), Map.of());
    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.explanation())
        .isEqualTo("claim s: expected none of [\"Revoked\", \"OutOfDate\"], actual \"Revoked\"");
  }

  @Test
  void explainsAFailedConjunctionByItsFalseParts() throws Exception {
    RuleResult r =
        only(
            "claims[\"a\"] == 1 && claims[\"b\"] == 2 && claims[\"c\"] == 3",
            Map.of("a", 1, "b", 5, "c", 3),
            Map.of());
    assertThat(r.findings())
        .containsExactly(new Finding.Comparison("b", "==", 2L, null, 5L, false));
  }

  @Test
  void explainsAPassedDisjunctionByItsTrueBranch() throws Exception {
    RuleResult r =
        only(
            "claims[\"tpm.ak.certified\"] == true || claims[\"k\"] in reference[\"aks\"]",
            Map.of("tpm.ak.certified", false, "k", "x"),
            Map.of("aks", List.of("x")));
    assertThat(r.outcome()).isEqualTo(Outcome.PASSED);
    assertThat(r.findings())
        .containsExactly(new Finding.Comparison("k", "in", List.of("x"), "aks", "x", true));
  }

  @Test
  void explainsOtherExpressionsByTextAndTheClaimsTheyRead() throws Exception {
    RuleResult r =
        only("size(claims[\"ids\"]) == 0", Map.of("ids", List.of("INTEL-SA-1")), Map.of());
    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.explanation())
        .contains("size(claims[\"ids\"])")
        .contains("is false")
        .contains("claims read: ids = [\"INTEL-SA-1\"]");
  }

  @Test
  void aMissingClaimFailsTheRuleWithoutAnException() throws Exception {
    RuleResult r =
        only("claims[\"tdx.mr_td\"] in reference[\"mr\"]", Map.of(), Map.of("mr", List.of("a")));
    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.tier()).isEqualTo(Tier.CONTRAINDICATED);
    assertThat(r.explanation()).isEqualTo("claim tdx.mr_td is absent");
  }

  @Test
  void aMissingReferenceValueFailsTheRule() throws Exception {
    RuleResult r = only("claims[\"m\"] in reference[\"mr\"]", Map.of("m", "a"), Map.of());
    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.explanation()).isEqualTo("reference value mr is absent");
  }

  @Test
  void aGuardedOptionalClaimPassesWhenAbsent() throws Exception {
    RuleResult r =
        only(
            "!(\"tpm.eventlog.verified\" in claims) || claims[\"tpm.secure_boot\"] == true",
            Map.of(),
            Map.of());
    assertThat(r.outcome()).isEqualTo(Outcome.PASSED);
  }

  @Test
  void aPresenceTestIsExplainedAsPresence() throws Exception {
    RuleResult r = only("\"x\" in claims && claims[\"x\"] == 1", Map.of(), Map.of());
    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.explanation()).isEqualTo("claim x is absent");
  }

  @Test
  void aPathologicalExpressionHitsTheCostLimitAndFailsClosed() throws Exception {
    String ten = "[0,1,2,3,4,5,6,7,8,9]";
    String expr =
        ten
            + ".all(a, "
            + ten
            + ".all(b, "
            + ten
            + ".all(c, "
            + ten
            + ".all(d, "
            + ten
            + ".all(e, a + b + c + d + e >= 0)))))";
    long t0 = System.nanoTime();
    RuleResult r = only(expr, Map.of(), Map.of());
    assertThat(System.nanoTime() - t0).isLessThan(5_000_000_000L);
    assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
    assertThat(r.tier()).isEqualTo(Tier.CONTRAINDICATED);
    assertThat(r.explanation()).startsWith("error: cost limit exceeded");
  }

  @Test
  void theStepBudgetStopsWorkWithoutComprehensionsToo() throws Exception {
    Policy p =
        new PolicyCompiler(new EvaluationLimits(10_000, 20))
            .compile(
                "t",
                1,
                "rules:\n  - {name: r, category: hardware, expr: '"
                    + "1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 > 0'}\n");
    RuleResult r = PolicyEngine.evaluate(p, Map.of(), Map.of(), Map.of()).rules().get(0);
    assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
    assertThat(r.explanation())
        .isEqualTo("error: cost limit exceeded: more than 20 evaluation steps");
  }

  @Test
  void aRuntimeErrorIsAnErrorThatFailsClosed() throws Exception {
    RuleResult r = only("claims[\"a\"] / 0 == 1", Map.of("a", 1), Map.of());
    assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
    assertThat(r.tier()).isEqualTo(Tier.CONTRAINDICATED);
    assertThat(r.explanation()).startsWith("error:").contains("by zero");
  }

  @Test
  void theTrustVectorTakesTheWorstTierPerCategoryAndStatusIsTheWorstOverall() throws Exception {
    Policy p =
        PolicyCompiler.compile(
            "t",
            """
            rules:
              - {name: a, category: hardware, expr: 'claims["x"] == 1', on_fail: warning}
              - {name: b, category: hardware, expr: 'claims["y"] == 1', on_fail: warning}
              - {name: c, category: executables, expr: 'claims["x"] == 1'}
              - {name: d, category: configuration, expr: 'claims["y"] == 1'}
            """);
    Appraisal a = PolicyEngine.evaluate(p, Map.of("x", 1, "y", 2), Map.of(), Map.of());
    assertThat(a.trustVector().get(Category.HARDWARE)).isEqualTo(32);
    assertThat(a.trustVector().get(Category.EXECUTABLES)).isEqualTo(2);
    assertThat(a.trustVector().get(Category.CONFIGURATION)).isEqualTo(96);
    assertThat(a.trustVector().get(Category.SOURCED_DATA)).isZero();
    assertThat(a.status()).isEqualTo(Tier.CONTRAINDICATED);
    assertThat(a.failures()).extracting(RuleResult::rule).containsExactly("b", "d");
    assertThat(a.trustVector().toEar())
        .containsEntry("file-system", 0)
        .containsEntry("hardware", 32)
        .hasSize(8);
  }

  @Test
  void inputIsVisibleToRules() throws Exception {
    Policy p =
        PolicyCompiler.compile(
            "t",
            "rules:\n  - {name: n, category: sourced_data, expr: 'input[\"nonce\"] == \"ab\"'}\n");
    assertThat(PolicyEngine.evaluate(p, Map.of(), Map.of(), Map.of("nonce", "ab")).affirming())
        .isTrue();
    assertThat(PolicyEngine.evaluate(p, Map.of(), Map.of(), Map.of()).rules().get(0).explanation())
        .isEqualTo("input nonce is absent");
  }

  @Test
  void aSingleReferenceValueCountsAsAListOfOne() throws Exception {
    RuleResult r = only("claims[\"m\"] in reference[\"g\"]", Map.of("m", "a"), Map.of("g", "a"));
    assertThat(r.outcome()).isEqualTo(Outcome.PASSED);
  }

  @Test
  void integersFromJsonAndFromVerifiersCompareEqual() throws Exception {
    RuleResult r =
        only("claims[\"n\"] in reference[\"g\"]", Map.of("n", 7L), Map.of("g", List.of(7)));
    assertThat(r.outcome()).isEqualTo(Outcome.PASSED);
  }
}
