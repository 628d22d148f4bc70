package dev.vouch.policy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns a rule's explanation tree and the values recorded during evaluation into findings. */
final class Explainer {
  private Explainer() {}

  static void explain(
      ExplainNode node,
      Object[] values,
      Map<String, Object> claims,
      Map<String, Object> reference,
      Map<String, Object> input,
      List<Finding> out) {
    Boolean holds = value(values, node.id()) instanceof Boolean b ? b : null;
    switch (node) {
      case ExplainNode.And and -> {
        // a false conjunction is explained by its false parts; a true one by all of them
        boolean any = false;
        if (Boolean.FALSE.equals(holds)) {
          for (ExplainNode k : and.children()) {
            if (Boolean.FALSE.equals(value(values, k.id()))) {
              explain(k, values, claims, reference, input, out);
              any = true;
            }
          }
        }
        if (!any) {
          and.children().forEach(k -> explain(k, values, claims, reference, input, out));
        }
      }
      case ExplainNode.Or or -> {
        boolean any = false;
        if (Boolean.TRUE.equals(holds)) {
          for (ExplainNode k : or.children()) {
            if (Boolean.TRUE.equals(value(values, k.id()))) {
              explain(k, values, claims, reference, input, out);
              any = true;
            }
          }
        }
        if (!any) {
          or.children().forEach(k -> explain(k, values, claims, reference, input, out));
        }
      }
      case ExplainNode.Compare c -> out.add(compare(c, holds, claims, reference));
      case ExplainNode.Present p -> {
        Map<String, Object> m =
            switch (p.source()) {
              case CLAIM -> claims;
              case REFERENCE -> reference;
              case INPUT -> input;
            };
        out.add(new Finding.Presence(p.source(), p.name(), m.containsKey(p.name()), holds));
      }
      case ExplainNode.Other o -> {
        Map<String, Object> read = new LinkedHashMap<>();
        for (String name : o.claims()) {
          if (claims.containsKey(name)) {
            read.put(name, claims.get(name));
          } else {
            out.add(new Finding.Presence(Finding.Source.CLAIM, name, false, null));
          }
        }
        out.add(new Finding.Expression(o.text(), value(values, o.id()), read, holds));
      }
    }
  }

  private static Finding compare(
      ExplainNode.Compare c, Boolean holds, Map<String, Object> claims, Map<String, Object> ref) {
    if (!claims.containsKey(c.claim())) {
      return new Finding.Presence(Finding.Source.CLAIM, c.claim(), false, holds);
    }
    Object actual = claims.get(c.claim());
    return switch (c.expected()) {
      case ExplainNode.Operand.Literal l ->
          new Finding.Comparison(c.claim(), c.operator(), l.value(), null, actual, holds);
      case ExplainNode.Operand.ReferenceList rl ->
          ref.containsKey(rl.name())
              ? new Finding.Comparison(
                  c.claim(), c.operator(), ref.get(rl.name()), rl.name(), actual, holds)
              : new Finding.Presence(Finding.Source.REFERENCE, rl.name(), false, holds);
      case ExplainNode.Operand.ReferenceElement re -> {
        if (!(ref.get(re.name()) instanceof List<?> list)) {
          yield new Finding.Presence(Finding.Source.REFERENCE, re.name(), false, holds);
        }
        Object expected =
            re.index() >= 0 && re.index() < list.size() ? list.get((int) re.index()) : null;
        yield new Finding.Comparison(
            c.claim(), c.operator(), expected, re.name() + "[" + re.index() + "]", actual, holds);
      }
    };
  }

  private static Object value(Object[] values, long id) {
    return id < values.length ? values[(int) id] : null;
  }
}
