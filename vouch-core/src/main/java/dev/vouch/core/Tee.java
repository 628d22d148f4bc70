package dev.vouch.core;

import java.util.Locale;
import java.util.Optional;

/** The closed set of evidence kinds Vouch verifies. The lower-case name is used on CLI and HTTP. */
public enum Tee {
  TPM,
  TDX,
  SGX,
  SNP,
  CCA,
  SAMPLE,
  /** A container's virtual register bound into a TPM quote (the CIMA role). */
  CONTAINER;

  /** The wire name, e.g. {@code "tpm"}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Looks up a kind by its wire name, case-insensitively. */
  public static Optional<Tee> fromWireName(String name) {
    for (Tee t : values()) {
      if (t.wireName().equalsIgnoreCase(name)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
