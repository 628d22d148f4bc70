package dev.vouch.policy;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.values.NullValue;
import dev.cel.parser.CelUnparserFactory;
import dev.cel.runtime.CelRuntime;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One rule ready to run: its checked AST, the CEL program, and what the explainer needs (the names
 * the rule looks up by constant key, and the explanation tree).
 */
record CompiledRule(
    Rule rule,
    CelAbstractSyntaxTree ast,
    CelRuntime.Program program,
    EvaluationLimits limits,
    Set<String> claimNames,
    Set<String> referenceNames,
    Set<String> inputNames,
    ExplainNode explain,
    BitSet recorded,
    int maxId) {

  CompiledRule(
      Rule rule, CelAbstractSyntaxTree ast, CelRuntime.Program program, EvaluationLimits limits) {
    this(rule, ast, program, limits, new Analysis(ast));
  }

  private CompiledRule(
      Rule rule,
      CelAbstractSyntaxTree ast,
      CelRuntime.Program program,
      EvaluationLimits limits,
      Analysis a) {
    this(
        rule,
        ast,
        program,
        limits,
        Set.copyOf(a.claims),
        Set.copyOf(a.references),
        Set.copyOf(a.inputs),
        a.root,
        a.recorded,
        a.maxId);
  }

  /** Walks the checked AST once. */
  private static final class Analysis {
    final Set<String> claims = new LinkedHashSet<>();
    final Set<String> references = new LinkedHashSet<>();
    final Set<String> inputs = new LinkedHashSet<>();
    final BitSet recorded = new BitSet();
    final CelAbstractSyntaxTree ast;
    int maxId;
    final ExplainNode root;

    Analysis(CelAbstractSyntaxTree ast) {
      this.ast = ast;
      collect(ast.getExpr());
      this.root = plan(ast.getExpr());
    }

    private void collect(CelExpr e) {
      maxId = Math.max(maxId, (int) e.id());
      lookup(e, "claims").ifPresent(claims::add);
      lookup(e, "reference").ifPresent(references::add);
      lookup(e, "input").ifPresent(inputs::add);
      for (CelExpr c : children(e)) {
        collect(c);
      }
    }

    private ExplainNode plan(CelExpr e) {
      recorded.set((int) e.id());
      if (e.getKind() == CelExpr.ExprKind.Kind.CALL) {
        CelExpr.CelCall call = e.call();
        String f = call.function();
        List<CelExpr> args = call.args();
        if (f.equals("_&&_") || f.equals("_||_")) {
          List<ExplainNode> kids = new ArrayList<>();
          // CEL may flatten a && b && c into one call with more arguments
          for (CelExpr a : args) {
            kids.add(plan(a));
          }
          return f.equals("_&&_")
              ? new ExplainNode.And(e.id(), kids)
              : new ExplainNode.Or(e.id(), kids);
        }
        if (f.equals("!_") && args.size() == 1) {
          Optional<ExplainNode> inner = comparison(e.id(), args.get(0), true);
          if (inner.isPresent()) {
            return inner.get();
          }
        }
        Optional<ExplainNode> cmp = comparison(e.id(), e, false);
        if (cmp.isPresent()) {
          return cmp.get();
        }
      }
      if (e.getKind() == CelExpr.ExprKind.Kind.SELECT
          && e.select().testOnly()
          && isIdent(e.select().operand(), "claims")) {
        return new ExplainNode.Present(e.id(), Finding.Source.CLAIM, e.select().field());
      }
      Set<String> read = new LinkedHashSet<>();
      readClaims(e, read);
      return new ExplainNode.Other(e.id(), text(e), List.copyOf(read));
    }

    /** A comparison of a claim with something known, as seen from the claim's side. */
    private Optional<ExplainNode> comparison(long id, CelExpr e, boolean negated) {
      if (e.getKind() != CelExpr.ExprKind.Kind.CALL || e.call().args().size() != 2) {
        return Optional.empty();
      }
      String op =
          switch (e.call().function()) {
            case "_==_" -> "==";
            case "_!=_" -> "!=";
            case "_<_" -> "<";
            case "_<=_" -> "<=";
            case "_>_" -> ">";
            case "_>=_" -> ">=";
            case "@in" -> "in";
            default -> null;
          };
      if (op == null) {
        return Optional.empty();
      }
      CelExpr left = e.call().args().get(0);
      CelExpr right = e.call().args().get(1);
      if (op.equals("in") && left.getKind() == CelExpr.ExprKind.Kind.CONSTANT) {
        for (String root : List.of("claims", "reference", "input")) {
          if (isIdent(right, root) && constant(left) instanceof String name) {
            return negated ? Optional.empty() : Optional.of(presence(id, root, name));
          }
        }
      }
      Optional<String> claim = lookup(left, "claims");
      Optional<ExplainNode.Operand> other = operand(right);
      if (claim.isEmpty() && !op.equals("in")) {
        // literal OP claim: read it from the claim's side
        claim = lookup(right, "claims");
        other = operand(left);
        op = mirror(op);
      }
      if (claim.isEmpty() || other.isEmpty()) {
        return Optional.empty();
      }
      if (negated) {
        op =
            switch (op) {
              case "in" -> "not in";
              case "==" -> "!=";
              case "!=" -> "==";
              case "<" -> ">=";
              case "<=" -> ">";
              case ">" -> "<=";
              default -> "<";
            };
      }
      recorded.set((int) id);
      return Optional.of(new ExplainNode.Compare(id, claim.get(), op, other.get()));
    }

    private static ExplainNode presence(long id, String root, String name) {
      Finding.Source s =
          switch (root) {
            case "claims" -> Finding.Source.CLAIM;
            case "reference" -> Finding.Source.REFERENCE;
            default -> Finding.Source.INPUT;
          };
      return new ExplainNode.Present(id, s, name);
    }

    private static String mirror(String op) {
      return switch (op) {
        case "<" -> ">";
        case ">" -> "<";
        case "<=" -> ">=";
        case ">=" -> "<=";
        default -> op;
      };
    }

    private Optional<ExplainNode.Operand> operand(CelExpr e) {
      Object c = constant(e);
      if (c != null) {
        return Optional.of(new ExplainNode.Operand.Literal(c));
      }
      if (e.getKind() == CelExpr.ExprKind.Kind.LIST) {
        List<Object> values = new ArrayList<>();
        for (CelExpr el : e.list().elements()) {
          Object v = constant(el);
          if (v == null) {
            return Optional.empty();
          }
          values.add(v);
        }
        return Optional.of(new ExplainNode.Operand.Literal(List.copyOf(values)));
      }
      Optional<String> ref = lookup(e, "reference");
      if (ref.isPresent()) {
        return Optional.of(new ExplainNode.Operand.ReferenceList(ref.get()));
      }
      if (isIndex(e)) {
        Optional<String> list = lookup(e.call().args().get(0), "reference");
        if (list.isPresent() && constant(e.call().args().get(1)) instanceof Long index) {
          return Optional.of(new ExplainNode.Operand.ReferenceElement(list.get(), index));
        }
      }
      return Optional.empty();
    }

    private void readClaims(CelExpr e, Set<String> out) {
      lookup(e, "claims").ifPresent(out::add);
      for (CelExpr c : children(e)) {
        readClaims(c, out);
      }
    }

    private String text(CelExpr e) {
      try {
        return CelUnparserFactory.newUnparser()
            .unparse(CelAbstractSyntaxTree.newParsedAst(e, ast.getSource()));
      } catch (RuntimeException unprintable) {
        // the unparser does not know every node shape; the source text is still exact
        return ast.getSource().getContent().toString();
      }
    }
  }

  /** {@code root["name"]} or {@code root.name} with a constant key: the name looked up. */
  static Optional<String> lookup(CelExpr e, String root) {
    if (isIndex(e)
        && isIdent(e.call().args().get(0), root)
        && constant(e.call().args().get(1)) instanceof String key) {
      return Optional.of(key);
    }
    if (e.getKind() == CelExpr.ExprKind.Kind.SELECT
        && !e.select().testOnly()
        && isIdent(e.select().operand(), root)) {
      return Optional.of(e.select().field());
    }
    return Optional.empty();
  }

  private static boolean isIndex(CelExpr e) {
    return e.getKind() == CelExpr.ExprKind.Kind.CALL
        && e.call().function().equals("_[_]")
        && e.call().args().size() == 2;
  }

  private static boolean isIdent(CelExpr e, String name) {
    return e.getKind() == CelExpr.ExprKind.Kind.IDENT && e.ident().name().equals(name);
  }

  /** The Java value of a literal, or null when the node is not a literal. */
  static Object constant(CelExpr e) {
    if (e.getKind() != CelExpr.ExprKind.Kind.CONSTANT) {
      return null;
    }
    CelConstant c = e.constant();
    return switch (c.getKind()) {
      case BOOLEAN_VALUE -> c.booleanValue();
      case INT64_VALUE -> c.int64Value();
      case UINT64_VALUE -> c.uint64Value().longValue();
      case DOUBLE_VALUE -> c.doubleValue();
      case STRING_VALUE -> c.stringValue();
      case NULL_VALUE -> NullValue.NULL_VALUE;
      default -> null;
    };
  }

  static List<CelExpr> children(CelExpr e) {
    return switch (e.getKind()) {
      case CALL -> {
        List<CelExpr> out = new ArrayList<>(e.call().args());
        e.call().target().ifPresent(t -> out.add(0, t));
        yield out;
      }
      case SELECT -> List.of(e.select().operand());
      case LIST -> e.list().elements();
      case MAP -> {
        List<CelExpr> out = new ArrayList<>();
        for (CelExpr.CelMap.Entry en : e.map().entries()) {
          out.add(en.key());
          out.add(en.value());
        }
        yield out;
      }
      case STRUCT -> {
        List<CelExpr> out = new ArrayList<>();
        for (CelExpr.CelStruct.Entry en : e.struct().entries()) {
          out.add(en.value());
        }
        yield out;
      }
      case COMPREHENSION ->
          List.of(
              e.comprehension().iterRange(),
              e.comprehension().accuInit(),
              e.comprehension().loopCondition(),
              e.comprehension().loopStep(),
              e.comprehension().result());
      default -> List.of();
    };
  }
}
