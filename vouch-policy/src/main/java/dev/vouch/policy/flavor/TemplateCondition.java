package dev.vouch.policy.flavor;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;

/**
 * A template condition: a CEL expression over the host facts, e.g. {@code tpm.version == "2.0" &&
 * os.name in ["Ubuntu", "Debian GNU/Linux"]}. Variables are {@code host}, {@code os}, {@code bios}
 * and {@code tpm}, maps of strings (see {@link HostFacts#conditionVariables()}).
 */
public final class TemplateCondition {
  private static final CelOptions OPTIONS =
      CelOptions.current().comprehensionMaxIterations(1_000).build();
  private static final CelCompiler COMPILER =
      CelCompilerFactory.standardCelCompilerBuilder()
          .setOptions(OPTIONS)
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .addVar("host", MapType.create(SimpleType.STRING, SimpleType.STRING))
          .addVar("os", MapType.create(SimpleType.STRING, SimpleType.STRING))
          .addVar("bios", MapType.create(SimpleType.STRING, SimpleType.STRING))
          .addVar("tpm", MapType.create(SimpleType.STRING, SimpleType.STRING))
          .setResultType(SimpleType.BOOL)
          .build();
  private static final CelRuntime RUNTIME =
      CelRuntimeFactory.standardCelRuntimeBuilder().setOptions(OPTIONS).build();

  private final String source;
  private final CelRuntime.Program program;

  private TemplateCondition(String source, CelRuntime.Program program) {
    this.source = source;
    this.program = program;
  }

  /**
   * Compiles a condition.
   *
   * @throws VerificationException MALFORMED when it is not a boolean CEL expression over the host
   *     variables (ISecL's XPath conditions are not accepted: rewrite them in CEL)
   */
  public static TemplateCondition compile(String source) throws VerificationException {
    try {
      CelAbstractSyntaxTree ast = COMPILER.compile(source).getAst();
      return new TemplateCondition(source, RUNTIME.createProgram(ast));
    } catch (CelValidationException | CelEvaluationException e) {
      throw new VerificationException(
          Failure.MALFORMED, "template condition is not CEL over the host facts: " + source);
    }
  }

  /** True when the host satisfies the condition; a condition that errors (missing key) is false. */
  public boolean test(HostFacts host) {
    try {
      return Boolean.TRUE.equals(program.eval(host.conditionVariables()));
    } catch (CelEvaluationException e) {
      return false;
    }
  }

  public String source() {
    return source;
  }

  @Override
  public String toString() {
    return source;
  }
}
