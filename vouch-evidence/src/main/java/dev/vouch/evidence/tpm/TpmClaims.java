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

  /**
   * Base64 (standard alphabet) of the AK's DER SubjectPublicKeyInfo: Trustee's {@code ak_public}
   * claim, which its default policy looks up in {@code trusted_aks}.
   */
  public static final String AK_PUBLIC = "tpm.ak.public";

  /** True when the AK certificate chain verified to a configured root; false when not checked. */
  public static final String AK_CERTIFIED = "tpm.ak.certified";

  /**
   * What vouches for the AK: {@value #AK_TRUST_ENROLLED} (the registrar enrolled it by credential
   * activation and the verifier was built for it), {@value #AK_TRUST_CERTIFIED} (its certificate
   * chains to a configured root) or {@value #AK_TRUST_SUPPLIED} (nothing: the evidence named it, so
   * the quote proves only that some key signed it, and policy must pin the key).
   */
  public static final String AK_TRUST = "tpm.ak.trust";

  /** {@link #AK_TRUST} value for an AK the registrar enrolled. */
  public static final String AK_TRUST_ENROLLED = "enrolled";

  /** {@link #AK_TRUST} value for an AK whose certificate chains to a configured root. */
  public static final String AK_TRUST_CERTIFIED = "certified";

  /** {@link #AK_TRUST} value for an AK that nothing but the evidence itself names. */
  public static final String AK_TRUST_SUPPLIED = "supplied";

  /**
   * {@link #AK_TRUST} value: the AK is the one an Azure paravisor reported in its HCL variable
   * data, which a verified SEV-SNP or TDX report binds.
   */
  public static final String AK_TRUST_HCL = "hcl";

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

  /**
   * True when a firmware event log was supplied, every entry whose type binds its digest to its
   * data hashes to it ({@code EVENT_DIGEST_MISMATCH} otherwise), and it replayed to the quoted
   * PCRs.
   */
  public static final String EVENTLOG_VERIFIED = "tpm.eventlog.verified";

  /** Number of events in the verified firmware event log. */
  public static final String EVENTLOG_EVENTS = "tpm.eventlog.events";

  /** PCR indexes (over all shared banks) whose quoted values the event log reproduced. */
  public static final String EVENTLOG_PCRS = "tpm.eventlog.pcrs";

  /**
   * UEFI Secure Boot state (true when the variable is 01). Comes from: the first {@code
   * EV_EFI_VARIABLE_DRIVER_CONFIG} entry on PCR 7 measuring {@code SecureBoot}. Bound by: that
   * entry's digest equals the hash of its data in every bank (else the log is refused, {@code
   * EVENT_DIGEST_MISMATCH}), and PCR 7 was quoted and the log's replay of it equals the quote in a
   * shared bank. Absent when PCR 7 was not quoted, or the log did not measure the variable as one
   * byte: policies must treat absence as failure.
   */
  public static final String SECURE_BOOT = "tpm.secure_boot";

  /**
   * Whether a non-empty {@code PK} was measured. Comes from: PCR 7 {@code
   * EV_EFI_VARIABLE_DRIVER_CONFIG} entries for {@code PK}; bound as {@link #SECURE_BOOT}, and
   * absent under the same conditions (PCR 7 not quoted).
   */
  public static final String SECURE_BOOT_PK = "tpm.secure_boot.pk";

  /**
   * Whether a non-empty {@code KEK} was measured; events and binding as {@link #SECURE_BOOT_PK}.
   */
  public static final String SECURE_BOOT_KEK = "tpm.secure_boot.kek";

  /** Whether a non-empty {@code db} was measured; events and binding as {@link #SECURE_BOOT_PK}. */
  public static final String SECURE_BOOT_DB = "tpm.secure_boot.db";

  /**
   * Whether a non-empty {@code dbx} was measured; events and binding as {@link #SECURE_BOOT_PK}.
   */
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

  /**
   * The 0-based number of the first IMA entry supplied: 0 for a whole list, the checkpoint's entry
   * count when only the entries after a verified checkpoint were supplied. {@link #IMA_ENTRIES} and
   * {@link #IMA_QUOTED_ENTRIES} count from the list's start either way; {@link #IMA_VIOLATIONS}
   * counts among the supplied entries only.
   */
  public static final String IMA_OFFSET = "tpm.ima.offset";

  /**
   * The list's first entry checked against the quoted PCRs 0-7 of its digest's bank ({@code
   * ima.BootAggregate}): {@code verified}, {@code mismatch}, or {@code not_checked} (no
   * boot_aggregate entry, its bank's PCRs 0-7 not quoted, or a list supplied from a later entry).
   */
  public static final String IMA_BOOT_AGGREGATE = "tpm.ima.boot_aggregate";

  /** How the kernel extended PCR 10: {@code per_bank} or {@code old_kernel}. */
  public static final String IMA_MODE = "tpm.ima.mode";
}
