package dev.vouch.policy;

import java.util.Optional;

/**
 * A policy document was refused: it does not parse, a rule does not compile or type-check, or the
 * document's structure is wrong. Nothing is stored for a refused policy.
 *
 * <p>{@link #line()} and {@link #column()} (1-based, 0 when unknown) locate the problem: inside the
 * rule's CEL expression when {@link #rule()} is present, else in the document. {@link
 * #documentLine()} is the document line where the rule's expression starts.
 */
public final class PolicyException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String policyId;
  private final String rule;
  private final int line;
  private final int column;
  private final int documentLine;
  private final String detail;

  public PolicyException(
      String policyId, String rule, int line, int column, int documentLine, String detail) {
    super(format(policyId, rule, line, column, documentLine, detail));
    this.policyId = policyId;
    this.rule = rule;
    this.line = line;
    this.column = column;
    this.documentLine = documentLine;
    this.detail = detail;
  }

  /** A problem with the document as a whole (YAML syntax, structure). */
  static PolicyException document(String policyId, int line, int column, String detail) {
    return new PolicyException(policyId, null, line, column, line, detail);
  }

  private static String format(
      String policyId, String rule, int line, int column, int documentLine, String detail) {
    StringBuilder sb = new StringBuilder("policy ").append(policyId);
    if (rule != null) {
      sb.append(", rule ").append(rule);
      if (line > 0) {
        sb.append(", expression line ").append(line).append(" column ").append(column);
      }
      if (documentLine > 0) {
        sb.append(" (expression starts on policy line ").append(documentLine).append(')');
      }
    } else if (line > 0) {
      sb.append(", line ").append(line).append(" column ").append(column);
    }
    return sb.append(": ").append(detail).toString();
  }

  public String policyId() {
    return policyId;
  }

  /** The rule whose expression is at fault, if the problem is in an expression. */
  public Optional<String> rule() {
    return Optional.ofNullable(rule);
  }

  /** 1-based line of the problem; 0 when unknown. */
  public int line() {
    return line;
  }

  /** 1-based column of the problem; 0 when unknown. */
  public int column() {
    return column;
  }

  /** 1-based document line where the faulty rule's expression starts; 0 when unknown. */
  public int documentLine() {
    return documentLine;
  }

  /** The compiler's or parser's own message, without the location prefix. */
  public String detail() {
    return detail;
  }
}
