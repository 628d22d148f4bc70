package dev.vouch.evidence.tpm.eventlog;

import java.util.Optional;

/**
 * How an entry's digests relate to its event data, per event type. Replay proves only that the
 * digests reached the TPM; what an entry's data says is worth something only when the data is what
 * was hashed. Vouch checks that for the types below marked {@link #DATA} and derives claims only
 * from such checked entries.
 *
 * <p>Which types are checked follows the TCG PC Client Platform Firmware Profile (PFP) and what the
 * real logs in the vectors do: the 42 log files of the research tpm-eventlog and ca-data folders
 * and of the test resources (HIRS, Keylime, tpm2-tools, ima-evm-utils, intel-secl, go-tpm-tools, a
 * TDX CCEL log; some files appear twice), go-attestation's Windows option ROM log and the Windows
 * log of the go-attestation quote sample. Every entry of the {@link #DATA} types in all of them has
 * {@code digest == H(data)} in every bank.
 *
 * <p>Types the PFP defines as a hash of the data but that real firmware measures differently are
 * {@link #DEVIATES}: they are never refused and never read for a claim.
 */
public enum DigestBinding {
  /**
   * The digest is the hash of the whole event data in each bank, and Vouch checks it: {@code
   * EV_SEPARATOR} (PFP: the hash of the 4-byte separator value), {@code
   * EV_EFI_VARIABLE_DRIVER_CONFIG} (the hash of the {@code UEFI_VARIABLE_DATA}: Secure Boot, PK,
   * KEK, db, dbx, DeployedMode, AuditMode), {@code EV_EFI_GPT_EVENT} (the hash of the {@code
   * UEFI_GPT_DATA}) and {@code EV_EFI_ACTION} (the hash of the ASCII action string). A mismatch is
   * {@link dev.vouch.core.Failure#EVENT_DIGEST_MISMATCH}.
   */
  DATA,
  /**
   * The PFP says the digest is the hash of the data, but firmware in the field hashes something
   * else, so the data is shown but not trusted: {@code EV_EFI_VARIABLE_AUTHORITY} (shim logs its
   * vendor certificate without the {@code SignatureOwner}, and GCE firmware digests differ for db
   * authorities: 17 of 65 entries in the 42 files differ), {@code EV_EFI_VARIABLE_BOOT} and {@code
   * EV_EFI_VARIABLE_BOOT2} (EDK2 hashes only the variable's value, not the {@code
   * UEFI_VARIABLE_DATA}: 177 of 237 differ), {@code EV_PLATFORM_CONFIG_FLAGS} and {@code
   * EV_S_CRTM_VERSION} (vendor-defined content). {@code EV_ACTION} is listed here because no real
   * log in the vectors carries one to confirm what firmware hashes.
   */
  DEVIATES,
  /**
   * The digest covers something the log does not carry (an image, a firmware volume, a table, an
   * IPL string hashed by the boot loader's own rules): nothing in the data can be checked.
   */
  EXTERNAL,
  /** {@code EV_NO_ACTION}: never extended, so nothing to check. */
  NOT_EXTENDED;

  /** The binding of an event type code; unnamed and vendor types are {@link #EXTERNAL}. */
  public static DigestBinding of(long type) {
    Optional<EventType> t = EventType.of(type);
    if (t.isEmpty()) {
      return EXTERNAL;
    }
    return switch (t.get()) {
      case EV_SEPARATOR, EV_EFI_VARIABLE_DRIVER_CONFIG, EV_EFI_GPT_EVENT, EV_EFI_ACTION -> DATA;
      case EV_EFI_VARIABLE_AUTHORITY,
          EV_EFI_VARIABLE_BOOT,
          EV_EFI_VARIABLE_BOOT2,
          EV_PLATFORM_CONFIG_FLAGS,
          EV_S_CRTM_VERSION,
          EV_ACTION ->
          DEVIATES;
      case EV_NO_ACTION -> NOT_EXTENDED;
      default -> EXTERNAL;
    };
  }
}
