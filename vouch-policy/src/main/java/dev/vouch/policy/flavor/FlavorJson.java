package dev.vouch.policy.flavor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Reads and writes flavors in ISecL's JSON form ({@code meta}, {@code pcrs} with {@code pcr},
 * {@code measurement}, {@code pcr_matches}, {@code eventlog_equals}, {@code eventlog_includes},
 * {@code ima_logs}, and other sections verbatim). Export of an imported flavor gives the same JSON
 * tree back. Bad input fails with {@link Failure#MALFORMED} (or UNSUPPORTED for an unknown bank).
 */
public final class FlavorJson {
  static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private FlavorJson() {}

  /**
   * Reads one or more signed flavors: an array, one {@code {flavor, signature}} object, or {@code
   * {"signed_flavors": [...]}}.
   */
  public static List<SignedFlavor> readSigned(byte[] json) throws VerificationException {
    JsonNode root = tree(json);
    if (root.isObject() && root.has("signed_flavors")) {
      root = root.get("signed_flavors");
    }
    List<SignedFlavor> out = new ArrayList<>();
    if (root.isArray()) {
      for (JsonNode n : root) {
        out.add(readSigned(n));
      }
    } else {
      out.add(readSigned(root));
    }
    return out;
  }

  /** Reads {@code {flavor, signature?}}, or a bare flavor as an unsigned one. */
  public static SignedFlavor readSigned(JsonNode node) throws VerificationException {
    if (!node.isObject()) {
      throw malformed("a signed flavor must be a JSON object");
    }
    if (!node.has("flavor")) {
      return SignedFlavor.unsigned(read(node));
    }
    JsonNode sig = node.get("signature");
    Optional<String> signature =
        sig == null || sig.isNull() || sig.asText().isEmpty()
            ? Optional.empty()
            : Optional.of(text(sig, "signature"));
    return new SignedFlavor(read(node.get("flavor")), signature);
  }

  /** Reads one flavor object. */
  public static Flavor read(JsonNode node) throws VerificationException {
    if (node == null || !node.isObject()) {
      throw malformed("a flavor must be a JSON object");
    }
    JsonNode meta = object(node.get("meta"), "meta");
    UUID id = uuid(meta.get("id"), "meta.id");
    ObjectNode description = (ObjectNode) object(meta.get("description"), "meta.description");
    FlavorPart part = FlavorPart.parse(text(description.get("flavor_part"), "flavor_part"));
    JsonNode label = description.get("label");
    JsonNode vendor = meta.get("vendor");
    JsonNode schema = meta.get("schema");
    Optional<String> schemaUri =
        schema != null && schema.isObject() && schema.has("uri")
            ? Optional.of(text(schema.get("uri"), "meta.schema.uri"))
            : Optional.empty();
    FlavorMeta m =
        new FlavorMeta(
            id,
            part,
            label == null ? "" : label.asText(),
            vendor == null ? "" : vendor.asText(),
            description,
            schemaUri);

    List<PcrRule> pcrs = new ArrayList<>();
    JsonNode pcrNode = node.get("pcrs");
    if (pcrNode != null && !pcrNode.isNull()) {
      if (!pcrNode.isArray()) {
        throw malformed("pcrs must be an array");
      }
      for (JsonNode p : pcrNode) {
        pcrs.add(readPcr(p));
      }
    }
    Optional<List<ImaMeasurement>> ima = Optional.empty();
    JsonNode imaNode = node.get("ima_logs");
    if (imaNode != null && !imaNode.isNull()) {
      JsonNode list = object(imaNode, "ima_logs").get("ima_measurements");
      List<ImaMeasurement> ms = new ArrayList<>();
      if (list != null && !list.isNull()) {
        if (!list.isArray()) {
          throw malformed("ima_logs.ima_measurements must be an array");
        }
        for (JsonNode e : list) {
          ms.add(
              new ImaMeasurement(
                  text(e.get("file"), "ima file"), hex(e.get("measurement"), "ima measurement")));
        }
      }
      ima = Optional.of(ms);
    }
    Map<String, JsonNode> sections = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      var e = it.next();
      if (!List.of("meta", "pcrs", "ima_logs").contains(e.getKey())) {
        sections.put(e.getKey(), e.getValue());
      }
    }
    if (imaNode != null && imaNode.isObject()) {
      // ima_template and expected_value travel with the list; keep them for export
      ObjectNode rest = ((ObjectNode) imaNode).deepCopy();
      rest.remove("ima_measurements");
      if (!rest.isEmpty()) {
        sections.put("ima_logs", rest);
      }
    }
    return new Flavor(m, pcrs, ima, sections);
  }

  private static PcrRule readPcr(JsonNode p) throws VerificationException {
    JsonNode pcr = object(p == null ? null : p.get("pcr"), "pcrs[].pcr");
    JsonNode index = pcr.get("index");
    if (index == null || !index.canConvertToInt() || index.asInt() < 0 || index.asInt() > 23) {
      throw malformed("pcr.index must be 0..23");
    }
    HashAlg bank = Banks.parse(text(pcr.get("bank"), "pcr.bank"));
    String measurement = hex(p.get("measurement"), "pcrs[].measurement");
    JsonNode matches = p.get("pcr_matches");
    Optional<PcrRule.EventLogEquals> equals = Optional.empty();
    JsonNode eq = p.get("eventlog_equals");
    if (eq != null && !eq.isNull()) {
      object(eq, "eventlog_equals");
      List<String> exclude = new ArrayList<>();
      JsonNode tags = eq.has("exclude_tags") ? eq.get("exclude_tags") : eq.get("excluding_tags");
      if (tags != null && tags.isArray()) {
        for (JsonNode t : tags) {
          exclude.add(t.asText());
        }
      }
      List<String> excludeTypes = new ArrayList<>();
      JsonNode types = eq.get("exclude_types");
      if (types != null && !types.isNull()) {
        if (!types.isArray()) {
          throw malformed("exclude_types must be an array");
        }
        for (JsonNode t : types) {
          excludeTypes.add(t.asText());
        }
      }
      equals =
          Optional.of(
              new PcrRule.EventLogEquals(readEvents(eq.get("events")), exclude, excludeTypes));
    }
    Optional<List<FlavorEvent>> includes = Optional.empty();
    JsonNode inc = p.get("eventlog_includes");
    if (inc != null && !inc.isNull()) {
      includes = Optional.of(readEvents(inc));
    }
    if (equals.isPresent() && includes.isPresent()) {
      throw malformed("a PCR rule has eventlog_equals or eventlog_includes, not both");
    }
    return new PcrRule(
        index.asInt(), bank, measurement, matches != null && matches.asBoolean(), equals, includes);
  }

  /**
   * Reads an ISecL event list ({@code [{type_id, type_name, tags, measurement}]}, with Vouch's
   * optional {@code index} and {@code description} of events taken from a host's log).
   */
  public static List<FlavorEvent> readEvents(JsonNode list) throws VerificationException {
    List<FlavorEvent> out = new ArrayList<>();
    if (list == null || list.isNull()) {
      return out;
    }
    if (!list.isArray()) {
      throw malformed("events must be an array");
    }
    for (JsonNode e : list) {
      object(e, "event");
      String typeId = text(e.get("type_id"), "type_id");
      long type;
      try {
        type =
            typeId.startsWith("0x") || typeId.startsWith("0X")
                ? Long.parseLong(typeId.substring(2), 16)
                : Long.parseLong(typeId);
      } catch (NumberFormatException ex) {
        throw malformed("type_id " + typeId + " is not a number");
      }
      if (type < 0 || type > 0xFFFFFFFFL) {
        throw malformed("type_id out of range");
      }
      List<String> tags = new ArrayList<>();
      JsonNode t = e.get("tags");
      if (t != null && t.isArray()) {
        for (JsonNode tag : t) {
          tags.add(tag.asText());
        }
      }
      JsonNode name = e.get("type_name");
      JsonNode index = e.get("index");
      if (index != null
          && !(index.isIntegralNumber() && index.canConvertToInt() && index.asInt() >= 0)) {
        throw malformed("event index must be a non-negative integer");
      }
      out.add(
          new FlavorEvent(
              type,
              name == null ? "" : name.asText(),
              tags,
              hex(e.get("measurement"), "measurement"),
              index == null
                  ? java.util.OptionalInt.empty()
                  : java.util.OptionalInt.of(index.asInt()),
              e.path("description").asText("")));
    }
    return out;
  }

  /** Writes {@code {flavor, signature}} (signature left out when unsigned). */
  public static ObjectNode writeSigned(SignedFlavor f) {
    ObjectNode o = NODES.objectNode();
    o.set("flavor", write(f.flavor()));
    f.signature().ifPresent(s -> o.put("signature", s));
    return o;
  }

  /** Writes a list of signed flavors as a JSON array, UTF-8. */
  public static byte[] writeSigned(List<SignedFlavor> flavors) {
    ArrayNode a = NODES.arrayNode();
    flavors.forEach(f -> a.add(writeSigned(f)));
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(a);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serializes", e);
    }
  }

  /** Writes one flavor in ISecL's shape. */
  public static ObjectNode write(Flavor f) {
    ObjectNode o = NODES.objectNode();
    ObjectNode meta = o.putObject("meta");
    f.meta().schemaUri().ifPresent(u -> meta.putObject("schema").put("uri", u));
    meta.put("id", f.meta().id().toString());
    meta.set("description", f.meta().description());
    meta.put("vendor", f.meta().vendor());
    Map<String, JsonNode> sections = f.sections();
    for (var e : sections.entrySet()) {
      if (!e.getKey().equals("ima_logs")) {
        o.set(e.getKey(), e.getValue());
      }
    }
    if (!f.pcrs().isEmpty()) {
      ArrayNode pcrs = o.putArray("pcrs");
      for (PcrRule r : f.pcrs()) {
        pcrs.add(writePcr(r));
      }
    }
    if (f.ima().isPresent()) {
      ObjectNode ima =
          sections.containsKey("ima_logs")
              ? (ObjectNode) sections.get("ima_logs")
              : NODES.objectNode();
      ArrayNode list = ima.putArray("ima_measurements");
      for (ImaMeasurement m : f.ima().get()) {
        list.addObject().put("file", m.file()).put("measurement", m.measurement());
      }
      o.set("ima_logs", ima);
    }
    return o;
  }

  private static ObjectNode writePcr(PcrRule r) {
    ObjectNode p = NODES.objectNode();
    p.putObject("pcr").put("index", r.index()).put("bank", Banks.name(r.bank()));
    p.put("measurement", r.measurement());
    if (r.pcrMatches()) {
      p.put("pcr_matches", true);
    }
    r.eventlogEquals()
        .ifPresent(
            eq -> {
              ObjectNode e = p.putObject("eventlog_equals");
              e.set("events", writeEvents(eq.events()));
              if (!eq.excludeTags().isEmpty()) {
                ArrayNode tags = e.putArray("exclude_tags");
                eq.excludeTags().forEach(tags::add);
              }
              if (!eq.excludeTypes().isEmpty()) {
                ArrayNode types = e.putArray("exclude_types");
                eq.excludeTypes().forEach(types::add);
              }
            });
    r.eventlogIncludes().ifPresent(inc -> p.set("eventlog_includes", writeEvents(inc)));
    return p;
  }

  /** Writes events in ISecL's shape (tags left out when there are none). */
  public static ArrayNode writeEvents(List<FlavorEvent> events) {
    ArrayNode a = NODES.arrayNode();
    for (FlavorEvent ev : events) {
      ObjectNode e = a.addObject();
      e.put("type_id", "0x" + Long.toHexString(ev.typeId()));
      e.put("type_name", ev.typeName());
      if (!ev.tags().isEmpty()) {
        ArrayNode t = e.putArray("tags");
        ev.tags().forEach(t::add);
      }
      e.put("measurement", ev.measurement());
      // log position and description: only events from a host's log (faults) have them
      ev.index().ifPresent(i -> e.put("index", i));
      if (!ev.description().isEmpty()) {
        e.put("description", ev.description());
      }
    }
    return a;
  }

  static JsonNode tree(byte[] json) throws VerificationException {
    try {
      JsonNode n = MAPPER.readTree(json);
      if (n == null || n.isMissingNode()) {
        throw malformed("empty JSON document");
      }
      return n;
    } catch (IOException e) {
      throw malformed("not JSON: " + e.getMessage());
    }
  }

  static JsonNode object(JsonNode n, String what) throws VerificationException {
    if (n == null || !n.isObject()) {
      throw malformed(what + " must be a JSON object");
    }
    return n;
  }

  static String text(JsonNode n, String what) throws VerificationException {
    if (n == null || !n.isTextual()) {
      throw malformed(what + " must be a string");
    }
    return n.asText();
  }

  static String hex(JsonNode n, String what) throws VerificationException {
    String s = text(n, what);
    if (!Hex.isHex(s)) {
      throw malformed(what + " must be hex");
    }
    // one spelling, so that digests compare as strings
    String t = s.strip();
    return (t.startsWith("0x") || t.startsWith("0X") ? t.substring(2) : t)
        .toLowerCase(java.util.Locale.ROOT);
  }

  static UUID uuid(JsonNode n, String what) throws VerificationException {
    try {
      return UUID.fromString(text(n, what));
    } catch (IllegalArgumentException e) {
      throw malformed(what + " must be a UUID");
    }
  }

  static VerificationException malformed(String message) {
    return new VerificationException(Failure.MALFORMED, message);
  }
}
