package dev.vouch.core;

import java.util.Locale;
import java.util.Optional;

/**
 * The closed set of evidence kinds Vouch verifies. The wire name (lower case, {@code _} written as
 * {@code -}, as Trustee names its TEEs) is used on CLI and HTTP.
 */
public enum Tee {
  TPM,
  TDX,
  SGX,
  SNP,
  CCA,
  SAMPLE,
  /** An Azure confidential VM on SEV-SNP: vTPM quote + HCL report + SNP report (Trustee's name). */
  AZ_SNP_VTPM,
  /** An Azure confidential VM on TDX: vTPM quote + HCL report + TD quote (Trustee's name). */
  AZ_TDX_VTPM,
  /** A container's virtual register bound into a TPM quote (the CIMA role). */
  CONTAINER;

  /** The wire name, e.g. {@code "tpm"} or {@code "az-snp-vtpm"}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
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
