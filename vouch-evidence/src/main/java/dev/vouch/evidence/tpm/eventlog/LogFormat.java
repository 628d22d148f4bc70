package dev.vouch.evidence.tpm.eventlog;

/** The two layouts of a PC Client firmware event log. */
public enum LogFormat {
  /** Every entry is a {@code TCG_PCR_EVENT} with one SHA-1 digest (TPM 1.2 style). */
  SHA1_LEGACY,
  /**
   * The first entry is a {@code TCG_PCR_EVENT} holding the {@code Spec ID Event03}; all later
   * entries are {@code TCG_PCR_EVENT2} with one digest per bank the Spec ID event lists.
   */
  CRYPTO_AGILE
}
