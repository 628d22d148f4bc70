package dev.vouch.policy.flavor;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A golden baseline for one part of a host: PCR rules per bank and, for IMA flavors, the expected
 * file measurements. Flavors are plain data; {@link FlavorJson} reads and writes ISecL's JSON,
 * {@link FlavorSigner} signs them and {@link FlavorMatcher} judges a host against them.
 *
 * @param meta identity and description
 * @param pcrs the PCR rules
 * @param ima the expected IMA measurements ({@code ima_logs.ima_measurements}); empty when the
 *     flavor has none
 * @param sections other ISecL members ({@code bios}, {@code hardware}, {@code external}, {@code
 *     software}, ...) kept verbatim so that export returns what import read
 */
public record Flavor(
    FlavorMeta meta,
    List<PcrRule> pcrs,
    Optional<List<ImaMeasurement>> ima,
    Map<String, JsonNode> sections) {
  public Flavor {
    Objects.requireNonNull(meta, "meta");
    pcrs = List.copyOf(pcrs);
    ima = ima.map(List::copyOf);
    Map<String, JsonNode> copy = new LinkedHashMap<>();
    sections.forEach((k, v) -> copy.put(k, v.deepCopy()));
    sections = java.util.Collections.unmodifiableMap(copy);
  }

  @Override
  public Map<String, JsonNode> sections() {
    Map<String, JsonNode> copy = new LinkedHashMap<>();
    sections.forEach((k, v) -> copy.put(k, v.deepCopy()));
    return copy;
  }

  public FlavorPart part() {
    return meta.part();
  }
}
