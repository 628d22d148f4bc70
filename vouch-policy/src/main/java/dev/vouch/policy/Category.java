package dev.vouch.policy;

import java.util.Locale;
import java.util.Optional;

/**
 * The eight AR4SI trustworthiness claims a policy rule contributes to. {@link #policyName()} is the
 * spelling in policy documents ({@code file_system}); {@link #earName()} the spelling in EAR tokens
 * ({@code file-system}).
 */
public enum Category {
  INSTANCE_IDENTITY,
  CONFIGURATION,
  EXECUTABLES,
  FILE_SYSTEM,
  HARDWARE,
  RUNTIME_OPAQUE,
  STORAGE_OPAQUE,
  SOURCED_DATA;

  /** The name used in policy documents, e.g. {@code instance_identity}. */
  public String policyName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The key in an EAR trustworthiness vector, e.g. {@code instance-identity}. */
  public String earName() {
    return policyName().replace('_', '-');
  }

  /** The category named in a policy document or an EAR token (either spelling). */
  public static Optional<Category> fromName(String name) {
    for (Category c : values()) {
      if (c.policyName().equals(name) || c.earName().equals(name)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }
}
