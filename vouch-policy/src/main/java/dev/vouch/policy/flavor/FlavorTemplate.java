package dev.vouch.policy.flavor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Says which PCRs, banks and event rules each flavor part takes from a host, and for which hosts
 * (ISecL flavor templates, with CEL conditions instead of XPath).
 *
 * @param id the template id (recorded in flavors as {@code flavor_template_ids})
 * @param label a name such as {@code default-tc}
 * @param conditions all must hold for the template to apply
 * @param parts the rules per flavor part
 */
public record FlavorTemplate(
    String id,
    String label,
    List<TemplateCondition> conditions,
    Map<FlavorPart, PartTemplate> parts) {
  public FlavorTemplate {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(label, "label");
    conditions = List.copyOf(conditions);
    parts = Map.copyOf(parts);
  }

  /**
   * The rules of one part.
   *
   * @param meta description members copied into every flavor of this part
   * @param rules the PCR rules
   */
  public record PartTemplate(ObjectNode meta, List<PcrRuleTemplate> rules) {
    public PartTemplate {
      meta = meta.deepCopy();
      rules = List.copyOf(rules);
    }

    @Override
    public ObjectNode meta() {
      return meta.deepCopy();
    }
  }

  /**
   * One PCR rule of a template.
   *
   * @param index the PCR
   * @param banks preferred banks in order: the first one the host's quote covers is used
   * @param pcrMatches take the value for a {@code PcrMatchesConstant} rule
   * @param eventlogEquals present: copy all events of the PCR, except those with these tags
   * @param eventlogIncludes present: copy only the events carrying one of these tags
   * @param excludingTypes with {@code eventlogEquals}: event types left out of the flavor and of
   *     the comparison ({@code eventlog_equals.excluding_types})
   */
  public record PcrRuleTemplate(
      int index,
      List<HashAlg> banks,
      boolean pcrMatches,
      Optional<List<String>> eventlogEquals,
      Optional<List<String>> eventlogIncludes,
      List<String> excludingTypes) {
    public PcrRuleTemplate {
      banks = List.copyOf(banks);
      eventlogEquals = eventlogEquals.map(List::copyOf);
      eventlogIncludes = eventlogIncludes.map(List::copyOf);
      excludingTypes = List.copyOf(excludingTypes);
    }
  }

  /**
   * True when every condition holds for the host (a template without conditions always applies).
   */
  public boolean appliesTo(HostFacts host) {
    return conditions.stream().allMatch(c -> c.test(host));
  }

  /** The same template with other conditions (for ISecL templates whose XPath must be replaced). */
  public FlavorTemplate withConditions(List<TemplateCondition> other) {
    return new FlavorTemplate(id, label, other, parts);
  }

  /**
   * Reads an ISecL flavor template ({@code label}, {@code condition}, {@code flavor_parts} with
   * {@code pcr_rules}). Conditions are compiled as CEL unless {@code conditionsAreCel} is false, in
   * which case they are dropped and the caller sets CEL ones with {@link #withConditions}.
   */
  public static FlavorTemplate parse(byte[] json, boolean conditionsAreCel)
      throws VerificationException {
    JsonNode root = FlavorJson.object(FlavorJson.tree(json), "flavor template");
    List<TemplateCondition> conditions = new ArrayList<>();
    if (conditionsAreCel && root.has("condition")) {
      for (JsonNode c : root.get("condition")) {
        conditions.add(TemplateCondition.compile(FlavorJson.text(c, "condition")));
      }
    }
    Map<FlavorPart, PartTemplate> parts = new EnumMap<>(FlavorPart.class);
    JsonNode fp = FlavorJson.object(root.get("flavor_parts"), "flavor_parts");
    var it = fp.fields();
    while (it.hasNext()) {
      var e = it.next();
      FlavorPart part = FlavorPart.parse(e.getKey());
      JsonNode meta = e.getValue().get("meta");
      List<PcrRuleTemplate> rules = new ArrayList<>();
      JsonNode pr = e.getValue().get("pcr_rules");
      if (pr != null && pr.isArray()) {
        for (JsonNode r : pr) {
          rules.add(rule(r));
        }
      }
      parts.put(
          part,
          new PartTemplate(
              meta != null && meta.isObject()
                  ? (ObjectNode) meta
                  : FlavorJson.MAPPER.createObjectNode(),
              rules));
    }
    String id = root.path("id").asText("");
    return new FlavorTemplate(id, root.path("label").asText(""), conditions, parts);
  }

  private static PcrRuleTemplate rule(JsonNode r) throws VerificationException {
    JsonNode pcr = FlavorJson.object(r.get("pcr"), "pcr_rules[].pcr");
    int index = pcr.path("index").asInt(-1);
    if (index < 0 || index > 23) {
      throw FlavorJson.malformed("template PCR index must be 0..23");
    }
    List<HashAlg> banks = new ArrayList<>();
    for (JsonNode b : pcr.path("bank")) {
      banks.add(Banks.parse(b.asText()));
    }
    if (banks.isEmpty()) {
      throw FlavorJson.malformed("template PCR " + index + " names no bank");
    }
    Optional<List<String>> equals = Optional.empty();
    List<String> types = new ArrayList<>();
    JsonNode eq = r.get("eventlog_equals");
    if (eq != null && eq.isObject()) {
      List<String> ex = new ArrayList<>();
      eq.path("excluding_tags").forEach(t -> ex.add(t.asText()));
      eq.path("excluding_types").forEach(t -> types.add(t.asText()));
      equals = Optional.of(ex);
    }
    Optional<List<String>> includes = Optional.empty();
    JsonNode inc = r.get("eventlog_includes");
    if (inc != null && inc.isArray()) {
      List<String> tags = new ArrayList<>();
      inc.forEach(t -> tags.add(t.asText()));
      includes = Optional.of(tags);
    }
    if (equals.isPresent() && includes.isPresent()) {
      throw FlavorJson.malformed(
          "a template rule has eventlog_equals or eventlog_includes, not both");
    }
    return new PcrRuleTemplate(
        index, banks, r.path("pcr_matches").asBoolean(false), equals, includes, types);
  }
}
