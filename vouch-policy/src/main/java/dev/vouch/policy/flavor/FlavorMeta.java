package dev.vouch.policy.flavor;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A flavor's identity and description (ISecL {@code meta}).
 *
 * @param id the flavor id
 * @param part the flavor part ({@code description.flavor_part})
 * @param label a human name ({@code description.label})
 * @param vendor e.g. {@code INTEL}
 * @param description the whole ISecL description object, kept as given so that import and export
 *     lose nothing: {@code source}, {@code bios_name}, {@code bios_version}, {@code os_name},
 *     {@code os_version}, {@code tpm_version}, {@code hardware_uuid}, {@code flavor_template_ids},
 *     ...
 * @param schemaUri {@code meta.schema.uri}, set on SOFTWARE flavors
 */
public record FlavorMeta(
    UUID id,
    FlavorPart part,
    String label,
    String vendor,
    ObjectNode description,
    Optional<String> schemaUri) {
  public FlavorMeta {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(part, "part");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(vendor, "vendor");
    description = description.deepCopy();
    Objects.requireNonNull(schemaUri, "schemaUri");
  }

  @Override
  public ObjectNode description() {
    return description.deepCopy();
  }

  /** A text member of the description, when present. */
  public Optional<String> describe(String key) {
    var v = description.get(key);
    return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asText());
  }
}
