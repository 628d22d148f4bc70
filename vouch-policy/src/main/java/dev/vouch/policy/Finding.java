package dev.vouch.policy;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * One machine-readable reason in a rule's explanation. Comparisons of a claim with a literal or a
 * reference value name the claim, the expected value(s) and the actual value; other expressions
 * show their text and the values of the claims they read.
 */
public sealed interface Finding {

  /** Human-readable form, e.g. {@code claim tdx.debug: expected == false, actual true}. */
  String text();

  /** Whether the finding's condition held; {@code null} when it was not evaluated. */
  Boolean holds();

  /**
   * A claim compared with an expected value.
   *
   * @param claim the claim name
   * @param operator {@code ==}, {@code !=}, {@code <}, {@code <=}, {@code >}, {@code >=}, {@code
   *     in} or {@code not in}, with the claim on the left
   * @param expected the literal value, or the list of values for {@code in}
   * @param reference the reference value name the expected values came from, or {@code null} for a
   *     literal in the policy
   * @param actual the claim's value
   */
  record Comparison(
      String claim,
      String operator,
      Object expected,
      String reference,
      Object actual,
      Boolean holds)
      implements Finding {
    @Override
    public String text() {
      String from = reference == null ? "" : "reference " + reference + " = ";
      String op =
          switch (operator) {
            case "in" -> "one of ";
            case "not in" -> "none of ";
            default -> operator + " ";
          };
      return "claim "
          + claim
          + ": expected "
          + op
          + from
          + Values.render(expected)
          + ", actual "
          + Values.render(actual)
          + verdict(holds);
    }
  }

  /** Whether a claim, reference value or input is there. */
  record Presence(Source source, String name, boolean present, Boolean holds) implements Finding {
    @Override
    public String text() {
      return source.label() + " " + name + " is " + (present ? "present" : "absent");
    }
  }

  /** Any other expression: its text, its value and the claims it read. */
  record Expression(String expression, Object value, Map<String, Object> claimsRead, Boolean holds)
      implements Finding {
    public Expression {
      claimsRead = Map.copyOf(claimsRead);
    }

    @Override
    public String text() {
      String read =
          claimsRead.isEmpty()
              ? ""
              : "; claims read: "
                  + claimsRead.entrySet().stream()
                      .sorted(Map.Entry.comparingByKey())
                      .map(e -> e.getKey() + " = " + Values.render(e.getValue()))
                      .collect(Collectors.joining(", "));
      String v = value == null ? "not evaluated" : Values.render(value);
      return "expression " + expression + " is " + v + read;
    }
  }

  /** Evaluation failed; the rule fails closed. */
  record Error(String message) implements Finding {
    @Override
    public String text() {
      return "error: " + message;
    }

    @Override
    public Boolean holds() {
      return false;
    }
  }

  /** Where a name is looked up. */
  enum Source {
    CLAIM("claim"),
    REFERENCE("reference value"),
    INPUT("input");

    private final String label;

    Source(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  private static String verdict(Boolean holds) {
    return holds == null ? " (not evaluated)" : "";
  }
}
