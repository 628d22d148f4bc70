package dev.vouch.policy;

import java.util.List;

/**
 * A compiled, type-checked policy: immutable and safe to evaluate from many threads at once. Made
 * by {@link PolicyCompiler}; evaluated by {@link PolicyEngine}.
 */
public final class Policy {
  private final String id;
  private final int version;
  private final String source;
  private final String description;
  private final List<CompiledRule> compiled;
  private final List<Rule> rules;

  Policy(String id, int version, String source, String description, List<CompiledRule> compiled) {
    this.id = id;
    this.version = version;
    this.source = source;
    this.description = description;
    this.compiled = List.copyOf(compiled);
    this.rules = this.compiled.stream().map(CompiledRule::rule).toList();
  }

  /** The policy id, e.g. {@code default-tpm}. */
  public String id() {
    return id;
  }

  /** The version the caller assigned (1 unless given). */
  public int version() {
    return version;
  }

  /** The document text as given. */
  public String source() {
    return source;
  }

  /** The document's {@code description}, or empty. */
  public String description() {
    return description;
  }

  /** The rules in document order. */
  public List<Rule> rules() {
    return rules;
  }

  List<CompiledRule> compiledRules() {
    return compiled;
  }

  @Override
  public String toString() {
    return "Policy[" + id + " v" + version + ", " + rules.size() + " rules]";
  }
}
