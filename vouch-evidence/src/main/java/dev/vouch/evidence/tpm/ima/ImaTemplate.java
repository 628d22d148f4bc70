package dev.vouch.evidence.tpm.ima;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A template descriptor: its name as the list shows it and its fields. The list shows the
 * template's name, or for a custom template its format string ({@code d-ng|n-ng|sig}).
 *
 * @param name the name shown in the list
 * @param fields the fields, in order
 */
public record ImaTemplate(String name, List<ImaTemplateField> fields) {
  /** Longest template name accepted; the kernel's longest format string is about 70 characters. */
  static final int MAX_NAME_LENGTH = 255;

  /** The kernel's {@code IMA_EVENT_NAME_LEN_MAX}: the {@code ima} template hashes names padded. */
  static final int IMA_NAME_PADDED = 256;

  private static final Map<String, String> BUILTIN =
      Map.of(
          "ima", "d|n",
          "ima-ng", "d-ng|n-ng",
          "ima-sig", "d-ng|n-ng|sig",
          "ima-ngv2", "d-ngv2|n-ng",
          "ima-sigv2", "d-ngv2|n-ng|sig",
          "ima-buf", "d-ng|n-ng|buf",
          "ima-modsig", "d-ng|n-ng|sig|d-modsig|modsig",
          "evm-sig", "d-ng|n-ng|evmsig|xattrnames|xattrlengths|xattrvalues|iuid|igid|imode",
          // the cgroup-aware templates of container measurement kernels
          "ima-cgpath", "dep|cg-path|d-ng|n-ng",
          "ima-dep-cgn", "dep|cgn|d-ng|n-ng");

  public ImaTemplate {
    fields = List.copyOf(fields);
  }

  /**
   * The descriptor for a name shown in the list: a built-in template or a custom format string made
   * of known field ids. Empty for anything else; such entries keep their raw data.
   */
  public static Optional<ImaTemplate> forName(String name) {
    String fmt = BUILTIN.getOrDefault(name, name);
    List<ImaTemplateField> fields = new ArrayList<>();
    for (String id : fmt.split("\\|", -1)) {
      Optional<ImaTemplateField> f = ImaTemplateField.fromId(id);
      if (f.isEmpty()) {
        return Optional.empty();
      }
      fields.add(f.get());
    }
    return Optional.of(new ImaTemplate(name, fields));
  }

  /** True for the original {@code ima} template, whose binary and hash layouts differ. */
  public boolean isLegacyIma() {
    return name.equals("ima");
  }
}
