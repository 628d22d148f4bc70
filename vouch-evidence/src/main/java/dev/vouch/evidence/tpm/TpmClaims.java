package dev.vouch.evidence.tpm;

/**
 * Names of the claims {@link TpmEvidenceVerifier} produces. They are stable: policies, reference
 * values and attestation results refer to them.
 */
public final class TpmClaims {
  private TpmClaims() {}

  /**
   * Hex TPM name of the AK ({@code nameAlg || H(TPMT_PUBLIC)}); present when the AK came as a TPM
   * public area.
   */
  public static final String AK_NAME = "tpm.ak.name";

  /** Hex SHA-256 of the AK's DER SubjectPublicKeyInfo: a stable key identifier for policies. */
  public static final String AK_SPKI_SHA256 = "tpm.ak.spki_sha256";

  /** True when the AK certificate chain verified to a configured root; false when not checked. */
  public static final String AK_CERTIFIED = "tpm.ak.certified";

  /**
   * Whether the AK certificate's path was checked against current CRLs of every issuer (boolean);
   * false when the AK is not certified or the AK verifier was built without revocation.
   */
  public static final String AK_REVOCATION_CHECKED = "tpm.ak.revocation_checked";

  /** Hex of the quote's extraData (the verifier's nonce or runtime-data hash). */
  public static final String EXTRA_DATA = "tpm.extra_data";

  /** TPM clock in milliseconds at quote time. */
  public static final String CLOCK = "tpm.clock";

  /** TPM reset counter: changes on every TPM reset (reboot). Compare to detect reboots. */
  public static final String RESET_COUNT = "tpm.reset_count";

  /** TPM restart counter: changes on TPM restart or resume. */
  public static final String RESTART_COUNT = "tpm.restart_count";

  /** True when the TPM clock has not gone backwards since it was last saved. */
  public static final String CLOCK_SAFE = "tpm.clock_safe";

  /** TPM firmware version as 16 hex digits. */
  public static final String FIRMWARE_VERSION = "tpm.firmware_version";

  /**
   * Prefix of quoted PCR values: {@code tpm.pcr.<bank>.<index>} = hex, e.g. {@code
   * tpm.pcr.sha256.7}.
   */
  public static final String PCR_PREFIX = "tpm.pcr.";

  /** True when a firmware event log was supplied and replayed to the quoted PCRs. */
  public static final String EVENTLOG_VERIFIED = "tpm.eventlog.verified";

  /** Number of events in the verified firmware event log. */
  public static final String EVENTLOG_EVENTS = "tpm.eventlog.events";

  /** PCR indexes (over all shared banks) whose quoted values the event log reproduced. */
  public static final String EVENTLOG_PCRS = "tpm.eventlog.pcrs";

  /**
   * UEFI Secure Boot state from the verified event log's {@code SecureBoot} variable (true when it
   * is 01). Absent when the log did not measure the variable as one byte.
   */
  public static final String SECURE_BOOT = "tpm.secure_boot";

  /** Whether the verified log measured a non-empty {@code PK}. */
  public static final String SECURE_BOOT_PK = "tpm.secure_boot.pk";

  /** Whether the verified log measured a non-empty {@code KEK}. */
  public static final String SECURE_BOOT_KEK = "tpm.secure_boot.kek";

  /** Whether the verified log measured a non-empty {@code db}. */
  public static final String SECURE_BOOT_DB = "tpm.secure_boot.db";

  /** Whether the verified log measured a non-empty {@code dbx}. */
  public static final String SECURE_BOOT_DBX = "tpm.secure_boot.dbx";

  /** True when an IMA list was supplied and a prefix of it reproduced the quoted PCR 10. */
  public static final String IMA_VERIFIED = "tpm.ima.verified";

  /** Number of entries in the IMA list as supplied. */
  public static final String IMA_ENTRIES = "tpm.ima.entries";

  /**
   * Number of leading IMA entries covered by the quote (IMA logs before it extends, so later
   * entries may not be quoted yet); only these entries are attested.
   */
  public static final String IMA_QUOTED_ENTRIES = "tpm.ima.quoted_entries";

  /** Number of violation entries among the quoted IMA entries. */
  public static final String IMA_VIOLATIONS = "tpm.ima.violations";

  /** How the kernel extended PCR 10: {@code per_bank} or {@code old_kernel}. */
  public static final String IMA_MODE = "tpm.ima.mode";
}
