package dev.vouch.policy.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.policy.flavor.Banks;
import dev.vouch.policy.flavor.Fault;
import dev.vouch.policy.flavor.FlavorEvent;
import dev.vouch.policy.flavor.FlavorJson;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.FlavorRuleResult;
import dev.vouch.policy.flavor.HostFacts;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.flavor.PartTrust;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

/**
 * Trust reports as JSON, in ISecL's report shape: {@code {id, host_id, status, detail, host_info,
 * trust_information: {OVERALL, flavors_trust: {PART: {trust, rules: [{rule: {rule_name, markers,
 * pcr, measurement}, flavor_id, trusted, faults: [{fault_name, description, pcr_index}]}]}}},
 * created, expiration}}. Rule and fault names are written with ISecL's {@code rule.} and {@code
 * fault.} prefixes; reading strips any prefix (ISecL's Go and legacy Java names alike), so real HVS
 * reports read as well. Bad input fails with {@link Failure#MALFORMED}.
 */
public final class TrustReportJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private TrustReportJson() {}

  /** The report as pretty-printed UTF-8 JSON. */
  public static byte[] toBytes(TrustReport r) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(write(r));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serializes", e);
    }
  }

  /**
   * The report as compact UTF-8 JSON: what a signature covers (a reader prints it as it likes;
   * indentation only made every signed and stored report larger).
   */
  public static byte[] toCompactBytes(TrustReport r) {
    try {
      return MAPPER.writeValueAsBytes(write(r));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serializes", e);
    }
  }

  /** The report as a JSON tree. */
  public static ObjectNode write(TrustReport r) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("id", r.id().toString());
    o.put("host_id", r.hostId());
    o.put("status", r.status().name());
    o.put("detail", r.detail());
    ObjectNode info = o.putObject("host_info");
    HostFacts h = r.host();
    info.put("host_name", h.hostName());
    info.put("hardware_uuid", h.hardwareUuid());
    info.put("os_name", h.osName());
    info.put("os_version", h.osVersion());
    info.put("bios_name", h.biosName());
    info.put("bios_version", h.biosVersion());
    info.put("tpm_version", h.tpmVersion());
    if (!h.diskEncryption().isEmpty()) {
      info.put("disk_encryption", h.diskEncryption());
    }
    // written only when known, so reports signed before these facts existed read back the same
    if (!h.kernelVersion().isEmpty()) {
      info.put("kernel_version", h.kernelVersion());
    }
    if (!h.bootLoader().isEmpty()) {
      info.put("boot_loader", h.bootLoader());
    }
    if (!r.factSources().isEmpty()) {
      ObjectNode sources = info.putObject("fact_sources");
      r.factSources().forEach(sources::put);
    }
    ObjectNode features = info.putObject("hardware_features");
    features
        .putObject("TPM")
        .put("enabled", "true")
        .putObject("meta")
        .put("tpm_version", h.tpmVersion());
    r.secureBoot()
        .ifPresent(
            sb ->
                features
                    .putObject("UEFI")
                    .put("enabled", "true")
                    .putObject("meta")
                    .put("secure_boot_enabled", sb));
    ObjectNode ti = o.putObject("trust_information");
    ti.put("OVERALL", r.overall());
    ObjectNode ft = ti.putObject("flavors_trust");
    for (PartTrust p : r.parts().values()) {
      ObjectNode part = ft.putObject(p.part().name());
      part.put("trust", p.trusted());
      ArrayNode rules = part.putArray("rules");
      for (FlavorRuleResult rr : p.rules()) {
        rules.add(writeRule(rr));
      }
    }
    ArrayNode flavors = o.putArray("flavors");
    for (TrustReport.FlavorTrust f : r.flavors()) {
      flavors
          .addObject()
          .put("flavor_id", f.flavorId().toString())
          .put("flavor_part", f.part().name())
          .put("trusted", f.trusted());
    }
    o.put("created", r.created().toString());
    o.put("expiration", r.expires().toString());
    return o;
  }

  private static ObjectNode writeRule(FlavorRuleResult rr) {
    ObjectNode o = MAPPER.createObjectNode();
    ObjectNode rule = o.putObject("rule");
    rule.put("rule_name", "rule." + rr.ruleName());
    rule.putArray("markers").add(rr.marker().name());
    if (rr.pcrIndex().isPresent()) {
      ObjectNode pcr = rule.putObject("pcr").put("index", rr.pcrIndex().getAsInt());
      rr.bank().ifPresent(b -> pcr.put("bank", Banks.name(b)));
    }
    rr.expected().ifPresent(m -> rule.put("measurement", m));
    rr.flavorId().ifPresent(id -> o.put("flavor_id", id.toString()));
    o.put("trusted", rr.trusted());
    if (!rr.faults().isEmpty()) {
      ArrayNode faults = o.putArray("faults");
      for (Fault f : rr.faults()) {
        ObjectNode fo = faults.addObject();
        fo.put("fault_name", "fault." + f.name());
        fo.put("description", f.description());
        f.pcrIndex().ifPresent(i -> fo.put("pcr_index", "pcr_" + i));
        if (!f.entries().isEmpty()) {
          fo.set("entries", FlavorJson.writeEvents(f.entries()));
        }
      }
    }
    return o;
  }

  /**
   * Reads a report: Vouch's JSON, one ISecL report, or ISecL's {@code {"reports": [first, ...]}}.
   */
  public static TrustReport read(byte[] json) throws VerificationException {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (IOException e) {
      throw malformed("not JSON: " + e.getMessage());
    }
    if (root != null && root.isObject() && root.has("reports")) {
      JsonNode reports = root.get("reports");
      if (!reports.isArray() || reports.isEmpty()) {
        throw malformed("reports must be a non-empty array");
      }
      root = reports.get(0);
    }
    return read(root);
  }

  /** Reads one report object. */
  public static TrustReport read(JsonNode o) throws VerificationException {
    if (o == null || !o.isObject()) {
      throw malformed("a trust report must be a JSON object");
    }
    UUID id;
    try {
      id = UUID.fromString(text(o, "id"));
    } catch (IllegalArgumentException e) {
      throw malformed("id must be a UUID");
    }
    JsonNode info = o.path("host_info");
    String tpm = info.path("tpm_version").asText("");
    if (tpm.isEmpty()) {
      tpm = info.path("hardware_features").path("TPM").path("meta").path("tpm_version").asText("");
    }
    HostFacts host =
        new HostFacts(
            info.path("host_name").asText(""),
            info.path("hardware_uuid").asText(""),
            info.path("os_name").asText(""),
            info.path("os_version").asText(""),
            info.path("bios_name").asText(""),
            info.path("bios_version").asText(""),
            tpm,
            info.path("disk_encryption").asText(""),
            info.path("kernel_version").asText(""),
            info.path("boot_loader").asText(""));
    Map<String, String> sources = new java.util.LinkedHashMap<>();
    JsonNode fs = info.path("fact_sources");
    if (!fs.isMissingNode() && !fs.isObject()) {
      throw malformed("host_info.fact_sources must be an object");
    }
    for (var e : fs.properties()) {
      if (!e.getValue().isTextual()) {
        throw malformed("host_info.fact_sources." + e.getKey() + " must be a string");
      }
      sources.put(e.getKey(), e.getValue().asText());
    }
    JsonNode sbNode =
        info.path("hardware_features").path("UEFI").path("meta").path("secure_boot_enabled");
    Optional<Boolean> sb = sbNode.isBoolean() ? Optional.of(sbNode.asBoolean()) : Optional.empty();
    JsonNode ti = o.get("trust_information");
    if (ti == null || !ti.isObject() || !ti.path("OVERALL").isBoolean()) {
      throw malformed("trust_information.OVERALL must be a boolean");
    }
    boolean overall = ti.get("OVERALL").asBoolean();
    Map<FlavorPart, PartTrust> parts = readFlavorsTrust(ti.path("flavors_trust"));
    List<TrustReport.FlavorTrust> flavors =
        o.has("flavors") ? readFlavors(o.get("flavors")) : flavorsFromRules(parts);
    HostStatus status;
    if (o.has("status")) {
      try {
        status = HostStatus.valueOf(text(o, "status"));
      } catch (IllegalArgumentException e) {
        throw malformed("unknown status " + o.get("status").asText());
      }
    } else if (sb.isPresent() && !sb.get()) {
      // ISecL reports have no status; derive it as the Open Edge attestation manager does
      status = HostStatus.SECURE_BOOT_DISABLED;
    } else {
      status = overall ? HostStatus.VERIFIED : HostStatus.ATTESTATION_FAILED;
    }
    return new TrustReport(
        id,
        o.path("host_id").asText(""),
        host,
        sb,
        status,
        overall,
        parts,
        flavors,
        o.path("detail").asText(""),
        instant(o, "created"),
        instant(o, "expiration"),
        sources);
  }

  private static List<TrustReport.FlavorTrust> readFlavors(JsonNode list)
      throws VerificationException {
    if (!list.isArray()) {
      throw malformed("flavors must be an array");
    }
    List<TrustReport.FlavorTrust> out = new ArrayList<>();
    for (JsonNode f : list) {
      try {
        out.add(
            new TrustReport.FlavorTrust(
                UUID.fromString(text(f, "flavor_id")),
                FlavorPart.parse(text(f, "flavor_part")),
                f.path("trusted").asBoolean(false)));
      } catch (IllegalArgumentException e) {
        throw malformed("flavor_id must be a UUID");
      }
    }
    return out;
  }

  /** ISecL reports have no flavor list: a flavor is trusted when all its rules are. */
  private static List<TrustReport.FlavorTrust> flavorsFromRules(Map<FlavorPart, PartTrust> parts) {
    Map<UUID, TrustReport.FlavorTrust> byId = new java.util.LinkedHashMap<>();
    for (PartTrust p : parts.values()) {
      for (FlavorRuleResult r : p.rules()) {
        if (r.flavorId().isEmpty()) {
          continue;
        }
        UUID id = r.flavorId().get();
        TrustReport.FlavorTrust prev = byId.get(id);
        boolean trusted = r.trusted() && (prev == null || prev.trusted());
        byId.put(id, new TrustReport.FlavorTrust(id, r.marker(), trusted));
      }
    }
    return List.copyOf(byId.values());
  }

  /**
   * Reads ISecL's {@code flavors_trust} map ({@code PART -> {trust, rules}}), as HVS reports and
   * the verifier's golden test files hold it.
   */
  public static Map<FlavorPart, PartTrust> readFlavorsTrust(JsonNode ft)
      throws VerificationException {
    if (ft == null || !ft.isObject()) {
      throw malformed("flavors_trust must be an object");
    }
    Map<FlavorPart, PartTrust> parts = new EnumMap<>(FlavorPart.class);
    var it = ft.fields();
    while (it.hasNext()) {
      var e = it.next();
      FlavorPart part = FlavorPart.parse(e.getKey());
      JsonNode p = e.getValue();
      if (!p.path("trust").isBoolean()) {
        throw malformed(e.getKey() + ".trust must be a boolean");
      }
      List<FlavorRuleResult> rules = new ArrayList<>();
      for (JsonNode r : p.path("rules")) {
        rules.add(readRule(part, r));
      }
      parts.put(part, new PartTrust(part, p.get("trust").asBoolean(), rules));
    }
    return parts;
  }

  private static FlavorRuleResult readRule(FlavorPart part, JsonNode r)
      throws VerificationException {
    JsonNode rule = r.path("rule");
    String name = bare(text(rule, "rule_name"));
    FlavorPart marker = part;
    JsonNode markers = rule.path("markers");
    if (markers.isArray() && !markers.isEmpty()) {
      marker = FlavorPart.parse(markers.get(0).asText());
    }
    Optional<UUID> flavor = Optional.empty();
    if (r.hasNonNull("flavor_id")) {
      try {
        flavor = Optional.of(UUID.fromString(r.get("flavor_id").asText()));
      } catch (IllegalArgumentException e) {
        throw malformed("flavor_id must be a UUID");
      }
    }
    // ISecL puts the PCR in several places depending on the rule and the release
    JsonNode pcr = rule.path("pcr");
    if (pcr.isMissingNode()) {
      pcr = rule.path("expected_values").path("pcr");
    }
    if (pcr.isMissingNode()) {
      pcr = rule.path("pcrs").path("pcr");
    }
    OptionalInt index = pcrIndex(pcr.path("index"));
    Optional<HashAlg> bank = Optional.empty();
    if (pcr.path("bank").isTextual()) {
      bank = Optional.of(Banks.parse(pcr.path("bank").asText()));
    }
    JsonNode expectedPcr = rule.path("expected_pcr");
    if (index.isEmpty() && expectedPcr.isObject()) {
      index = pcrIndex(expectedPcr.path("index"));
      if (expectedPcr.path("pcr_bank").isTextual()) {
        bank = Optional.of(Banks.parse(expectedPcr.path("pcr_bank").asText()));
      }
    }
    Optional<String> expected =
        rule.path("measurement").isTextual()
            ? Optional.of(rule.get("measurement").asText())
            : expectedPcr.path("value").isTextual()
                ? Optional.of(expectedPcr.get("value").asText())
                : Optional.empty();
    List<Fault> faults = new ArrayList<>();
    for (JsonNode f : r.path("faults")) {
      List<FlavorEvent> entries =
          f.has("entries") ? FlavorJson.readEvents(f.get("entries")) : List.of();
      faults.add(
          new Fault(
              bare(text(f, "fault_name")),
              f.path("description").asText(""),
              pcrIndex(f.path("pcr_index")),
              entries));
    }
    boolean trusted = r.path("trusted").asBoolean(false);
    if (trusted != faults.isEmpty()) {
      throw malformed("rule " + name + " is trusted exactly when it has no fault");
    }
    return new FlavorRuleResult(name, marker, flavor, index, bank, expected, trusted, faults);
  }

  private static OptionalInt pcrIndex(JsonNode n) {
    if (n.isInt()) {
      return OptionalInt.of(n.asInt());
    }
    if (n.isTextual()) {
      String s = n.asText();
      try {
        return OptionalInt.of(Integer.parseInt(s.startsWith("pcr_") ? s.substring(4) : s));
      } catch (NumberFormatException e) {
        return OptionalInt.empty();
      }
    }
    return OptionalInt.empty();
  }

  /** {@code rule.X}, {@code fault.X} and {@code com.intel....rule.X} all become {@code X}. */
  private static String bare(String name) {
    return name.substring(name.lastIndexOf('.') + 1);
  }

  private static String text(JsonNode o, String field) throws VerificationException {
    JsonNode n = o.get(field);
    if (n == null || !n.isTextual()) {
      throw malformed(field + " must be a string");
    }
    return n.asText();
  }

  private static Instant instant(JsonNode o, String field) throws VerificationException {
    try {
      return Instant.parse(text(o, field));
    } catch (DateTimeParseException e) {
      throw malformed(field + " must be an ISO-8601 instant");
    }
  }

  private static VerificationException malformed(String m) {
    return new VerificationException(Failure.MALFORMED, m);
  }
}
