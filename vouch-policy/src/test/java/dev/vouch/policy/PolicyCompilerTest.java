package dev.vouch.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PolicyCompilerTest {

  private static PolicyException refused(String source) {
    try {
      PolicyCompiler.compile("p", source);
    } catch (PolicyException e) {
      return e;
    }
    throw new AssertionError("compiled: " + source);
  }

  @Test
  void compilesRulesInDocumentOrderWithTheirCategoriesAndTiers() throws Exception {
    Policy p =
        PolicyCompiler.compile(
            "p",
            """
            description: test
            rules:
              - name: debug_off
                category: configuration
                expr: claims["tdx.debug"] == false
                on_fail: warning
              - name: known
                category: executables
                expr: claims["m"] in reference["m"]
            """);
    assertThat(p.id()).isEqualTo("p");
    assertThat(p.version()).isEqualTo(1);
    assertThat(p.description()).isEqualTo("test");
    assertThat(p.rules())
        .containsExactly(
            new Rule(
                "debug_off",
                Category.CONFIGURATION,
                "claims[\"tdx.debug\"] == false",
                Tier.WARNING,
                ""),
            new Rule(
                "known",
                Category.EXECUTABLES,
                "claims[\"m\"] in reference[\"m\"]",
                Tier.CONTRAINDICATED,
                ""));
  }

  @Test
  void refusesASyntaxErrorWithTheCompilersMessageAndPosition() {
    PolicyException e =
        refused(
            """
            rules:
              - name: ok
                category: hardware
                expr: claims["a"] == 1
              - name: broken
                category: configuration
                expr: claims["tdx.debug"] ==
            """);
    assertThat(e.rule()).contains("broken");
    assertThat(e.line()).isEqualTo(1);
    assertThat(e.column()).isEqualTo(23);
    assertThat(e.documentLine()).isEqualTo(7);
    assertThat(e.detail()).contains("mismatched input '<EOF>'");
    assertThat(e.getMessage()).contains("rule broken", "expression line 1 column 23", "line 7");
  }

  @Test
  void refusesAnUndeclaredFunctionOnTheLineItIsOn() {
    PolicyException e =
        refused(
            """
            rules:
              - name: multi
                category: hardware
                expr: |
                  claims["a"] == 1 &&
                    frobnicate(claims["b"])
            """);
    assertThat(e.line()).isEqualTo(2);
    assertThat(e.column()).isEqualTo(13);
    assertThat(e.detail()).contains("undeclared reference to 'frobnicate'");
  }

  @Test
  void refusesAnExpressionThatIsNotBoolean() {
    PolicyException e =
        refused(
            """
            rules:
              - name: dyn_value
                category: hardware
                expr: claims["a"] + 1
            """);
    assertThat(e.rule()).contains("dyn_value");
    assertThat(e.detail()).containsIgnoringCase("bool");
  }

  @Test
  void refusesAnUndeclaredVariable() {
    assertThat(
            refused(
                    """
                    rules:
                      - name: r
                        category: hardware
                        expr: evidence["a"] == 1
                    """)
                .detail())
        .contains("undeclared reference to 'evidence'");
  }

  @Test
  void refusesStructuralErrorsWithTheirLine() {
    assertThat(refused("rules: []\n").getMessage()).contains("non-empty 'rules'");
    assertThat(refused("rules:\n  - name: a\n    category: colour\n    expr: true\n").getMessage())
        .contains("unknown category 'colour'")
        .contains("line 2");
    assertThat(
            refused(
                    "rules:\n  - name: a\n    category: hardware\n    expr: true\n    on_fail: meh\n")
                .getMessage())
        .contains("on_fail must be warning or contraindicated");
    assertThat(
            refused(
                    "rules:\n  - {name: a, category: hardware, expr: 'true'}\n"
                        + "  - {name: a, category: hardware, expr: 'true'}\n")
                .getMessage())
        .contains("'a' is used twice");
    assertThat(refused("rules:\n  - name: a\n    category: hardware\n    exp: true\n").getMessage())
        .contains("unknown rule key 'exp'")
        .contains("line 4");
    assertThat(refused("rules:\n  - name: a\n    category: hardware\n").getMessage())
        .contains("has no 'expr'");
    assertThat(refused("- a\n- b\n").getMessage()).contains("YAML mapping");
  }

  @Test
  void refusesBrokenYamlWithItsPosition() {
    PolicyException e = refused("rules:\n  - name: \"a\n    category: hardware\n");
    assertThat(e.line()).isGreaterThan(0);
    assertThat(e.getMessage()).contains("YAML error");
  }

  @Test
  void acceptsABareBooleanAsAnExpression() throws Exception {
    Policy p =
        PolicyCompiler.compile("p", "rules:\n  - {name: a, category: hardware, expr: true}\n");
    assertThat(p.rules().get(0).expression()).isEqualTo("true");
  }

  @Test
  void limitsMustBePositive() {
    assertThatThrownBy(() -> new EvaluationLimits(0, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
