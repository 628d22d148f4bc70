package dev.vouch.evidence.tdx;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * The measurement registers of a TD guest and the one table that maps TPM PCR numbers, CC event log
 * MR indexes and IMA register columns onto them. The CCEL replay, the IMA replay and the TDX claims
 * all read this table, so a register means the same thing everywhere.
 *
 * <p>The PCR mapping is the one the UEFI CC measurement protocol fixes for TDX (and Intel's TDX
 * guest firmware implements): PCR 0 is MRTD, PCR 1 and 7 go to RTMR0, PCR 2..6 to RTMR1, PCR 8..15
 * to RTMR2; RTMR3 takes no PCR and is left to the guest (some guest kernels put IMA there). The CC
 * event log names MRTD as MR index 0 and RTMR0..3 as MR index 1..4.
 */
public enum TdRegister {
  MRTD(0, -1, TdxClaims.MR_TD),
  RTMR0(1, 0, TdxClaims.RTMR_PREFIX + 0),
  RTMR1(2, 1, TdxClaims.RTMR_PREFIX + 1),
  RTMR2(3, 2, TdxClaims.RTMR_PREFIX + 2),
  RTMR3(4, 3, TdxClaims.RTMR_PREFIX + 3);

  /** The number of RTMRs a TD has. */
  public static final int RTMR_COUNT = 4;

  private final int ccMrIndex;
  private final int rtmr;
  private final String claim;

  TdRegister(int ccMrIndex, int rtmr, String claim) {
    this.ccMrIndex = ccMrIndex;
    this.rtmr = rtmr;
    this.claim = claim;
  }

  /** The MR index a CC event log entry names for this register (MRTD 0, RTMR0..3 1..4). */
  public int ccMrIndex() {
    return ccMrIndex;
  }

  /** 0..3 for RTMR0..3; empty for MRTD, which is built by the TDX module, never extended. */
  public OptionalInt rtmrIndex() {
    return rtmr < 0 ? OptionalInt.empty() : OptionalInt.of(rtmr);
  }

  /**
   * The claim that carries this register's quoted value ({@code tdx.mr_td}, {@code tdx.rtmr.N}).
   */
  public String claimName() {
    return claim;
  }

  /** The short name used in CLI output: {@code mrtd}, {@code rtmr0} .. {@code rtmr3}. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The register for a CC event log MR index; empty above 4. */
  public static Optional<TdRegister> forCcMrIndex(int mrIndex) {
    for (TdRegister r : values()) {
      if (r.ccMrIndex == mrIndex) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  /** RTMR {@code i} (0..3). */
  public static TdRegister rtmr(int i) {
    if (i < 0 || i >= RTMR_COUNT) {
      throw new IllegalArgumentException("RTMR index " + i + " (0..3)");
    }
    return values()[i + 1];
  }

  /** The register a TPM PCR maps to on a TD guest; empty for PCRs above 15, which have none. */
  public static Optional<TdRegister> forPcr(int pcr) {
    if (pcr == 0) {
      return Optional.of(MRTD);
    }
    if (pcr == 1 || pcr == 7) {
      return Optional.of(RTMR0);
    }
    if (pcr >= 2 && pcr <= 6) {
      return Optional.of(RTMR1);
    }
    if (pcr >= 8 && pcr <= 15) {
      return Optional.of(RTMR2);
    }
    return Optional.empty();
  }

  /**
   * The RTMR an IMA list entry of a TD guest extended, from the list's register column. A kernel
   * that extends an RTMR directly writes its index (0..3) in the column (the cc-api TD guest list
   * shows 2 for RTMR2); a kernel that keeps IMA's PCR number (10 by default) relies on the PCR
   * mapping above, so PCR 10 is RTMR2. Columns 4..7 and above 15 name no RTMR.
   */
  public static Optional<TdRegister> forImaColumn(int column) {
    if (column >= 0 && column < RTMR_COUNT) {
      return Optional.of(rtmr(column));
    }
    if (column >= 8) {
      return forPcr(column);
    }
    return Optional.empty();
  }
}
