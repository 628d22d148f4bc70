package dev.vouch.evidence.snp;

import java.util.OptionalInt;

/**
 * A decoded TCB_VERSION: the security patch levels of the platform's firmware components. The
 * 64-bit value is the same on every product, but the byte positions differ from Turin on (see
 * {@link SnpProduct#fmcTcbLayout()}).
 *
 * @param raw the little-endian 64-bit value as the report holds it
 * @param fmc the FMC (first mutable code) level; present from Turin on
 */
public record TcbVersion(
    long raw, OptionalInt fmc, int bootloader, int tee, int snp, int microcode) {

  /** Decodes {@code raw} in the layout {@code product} uses. */
  public static TcbVersion decode(long raw, SnpProduct product) {
    int[] b = new int[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (int) (raw >>> (8 * i)) & 0xff;
    }
    if (product.fmcTcbLayout()) {
      return new TcbVersion(raw, OptionalInt.of(b[0]), b[1], b[2], b[3], b[7]);
    }
    return new TcbVersion(raw, OptionalInt.empty(), b[0], b[1], b[6], b[7]);
  }

  /** Encodes the components in {@code product}'s layout (the inverse of {@link #decode}). */
  public static long encode(
      SnpProduct product, OptionalInt fmc, int bootloader, int tee, int snp, int microcode) {
    int[] b = new int[8];
    if (product.fmcTcbLayout()) {
      b[0] = fmc.orElse(0);
      b[1] = bootloader;
      b[2] = tee;
      b[3] = snp;
    } else {
      b[0] = bootloader;
      b[1] = tee;
      b[6] = snp;
    }
    b[7] = microcode;
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[i] & 0xff);
    }
    return v;
  }

  /** The 16 hex digits of the raw value, most significant first. */
  public String hex() {
    return String.format("%016x", raw);
  }
}
