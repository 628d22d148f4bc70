package dev.vouch.evidence.snp;

import java.util.Locale;
import java.util.Optional;

/**
 * The AMD EPYC generations whose SEV-SNP reports Vouch verifies. Each has its own ARK, ASK and
 * ASVK, and Turin changed the layout of the TCB version and the length of the hardware ID.
 */
public enum SnpProduct {
  /** 3rd generation EPYC (family 19h, models 00h-0Fh). */
  MILAN,
  /** 4th generation EPYC, including Bergamo and Siena (family 19h, models 10h-1Fh and A0h-AFh). */
  GENOA,
  /** 5th generation EPYC (family 1Ah, models 00h-11h). */
  TURIN;

  /** The name AMD uses in certificate subjects and KDS paths, e.g. {@code Milan}. */
  public String amdName() {
    String n = name();
    return n.charAt(0) + n.substring(1).toLowerCase(Locale.ROOT);
  }

  /** The claim value, e.g. {@code milan}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * True when TCB versions use the layout introduced with Turin ({@code FMC, BOOT_LOADER, TEE, SNP,
   * 0, 0, 0, MICROCODE}) instead of ({@code BOOT_LOADER, TEE, 0, 0, 0, 0, SNP, MICROCODE}).
   */
  public boolean fmcTcbLayout() {
    return this == TURIN;
  }

  /**
   * Bytes of CHIP_ID that the VCEK's hwID extension certifies: all 64 before Turin, the first 8
   * from Turin on (the rest of the report's CHIP_ID is zero).
   */
  public int hwIdLength() {
    return this == TURIN ? 8 : 64;
  }

  /**
   * The generation of a CPU by its CPUID family and model, as version 3 and later reports carry
   * them; empty for processors without a known SEV-SNP certificate hierarchy.
   */
  public static Optional<SnpProduct> fromCpuid(int family, int model) {
    if (family == 0x19) {
      if (model <= 0x0f) {
        return Optional.of(MILAN);
      }
      if ((model >= 0x10 && model <= 0x1f) || (model >= 0xa0 && model <= 0xaf)) {
        return Optional.of(GENOA);
      }
    } else if (family == 0x1a && model <= 0x11) {
      return Optional.of(TURIN);
    }
    return Optional.empty();
  }

  /** The product whose AMD signing keys carry this common name suffix, e.g. {@code SEV-Milan}. */
  static Optional<SnpProduct> fromAmdName(String name) {
    for (SnpProduct p : values()) {
      if (p.amdName().equalsIgnoreCase(name)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
