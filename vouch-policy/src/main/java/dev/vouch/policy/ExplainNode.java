package dev.vouch.policy;

import java.util.List;

/**
 * The shape of a rule's expression as far as explanations need it, worked out once from the checked
 * AST when the policy is compiled. Each node keeps the id of its AST node, whose value the engine
 * records during evaluation.
 */
sealed interface ExplainNode {
  long id();

  /** A claim compared with a literal, a literal list, a reference list or a reference element. */
  record Compare(long id, String claim, String operator, Operand expected) implements ExplainNode {}

  /** {@code "x" in claims} (or {@code has(claims.x)}), possibly negated. */
  record Present(long id, Finding.Source source, String name) implements ExplainNode {}

  record And(long id, List<ExplainNode> children) implements ExplainNode {}

  record Or(long id, List<ExplainNode> children) implements ExplainNode {}

  /** Anything else: shown as text with the claims it reads. */
  record Other(long id, String text, List<String> claims) implements ExplainNode {}

  /** The non-claim side of a comparison. */
  sealed interface Operand {
    record Literal(Object value) implements Operand {}

    record ReferenceList(String name) implements Operand {}

    record ReferenceElement(String name, long index) implements Operand {}
  }
}
