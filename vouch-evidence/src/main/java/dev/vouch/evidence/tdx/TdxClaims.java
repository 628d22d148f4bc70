package dev.vouch.evidence.tdx;

/**
 * Names of the claims {@link TdxEvidenceVerifier} produces. Stable: policies and reference values
 * refer to them. Byte fields are lower-case hex of the bytes as the TD report holds them.
 */
public final class TdxClaims {
  private TdxClaims() {}

  /** Quote version: 4 or 5. */
  public static final String QUOTE_VERSION = "tdx.quote_version";

  /** {@code tdx10} or {@code tdx15}: which TD report body the quote carries. */
  public static final String BODY_TYPE = "tdx.body_type";

  /** MRTD: measurement of the TD's initial memory and configuration (48 bytes). */
  public static final String MR_TD = "tdx.mr_td";

  /** Prefix of the runtime measurement registers: {@code tdx.rtmr.0} .. {@code tdx.rtmr.3}. */
  public static final String RTMR_PREFIX = "tdx.rtmr.";

  /** MRSEAM: measurement of the TDX module. */
  public static final String MR_SEAM = "tdx.mr_seam";

  /** MRSIGNERSEAM: signer of the TDX module (zero for Intel's module). */
  public static final String MR_SIGNER_SEAM = "tdx.mr_signer_seam";

  /** SEAMATTRIBUTES (8 bytes). */
  public static final String SEAM_ATTRIBUTES = "tdx.seam_attributes";

  /** MRCONFIGID: host-supplied configuration id (Trustee binds init data here). */
  public static final String MR_CONFIG_ID = "tdx.mr_config_id";

  /** MROWNER. */
  public static final String MR_OWNER = "tdx.mr_owner";

  /** MROWNERCONFIG. */
  public static final String MR_OWNER_CONFIG = "tdx.mr_owner_config";

  /** TD_ATTRIBUTES (8 bytes). */
  public static final String TD_ATTRIBUTES = "tdx.td_attributes";

  /** True when TD_ATTRIBUTES bit 0 (debug) is set: the host can read the TD. Policies decide. */
  public static final String DEBUG = "tdx.debug";

  /** True when TD_ATTRIBUTES bit 28 (SEPT_VE_DISABLE) is set. */
  public static final String SEPT_VE_DISABLE = "tdx.septve_disable";

  /** XFAM (8 bytes): extended features the TD may use. */
  public static final String XFAM = "tdx.xfam";

  /** REPORTDATA (64 bytes) chosen by the TD: nonce or runtime-data hash. */
  public static final String REPORT_DATA = "tdx.report_data";

  /** TEE_TCB_SVN (16 bytes). */
  public static final String TEE_TCB_SVN = "tdx.tee_tcb_svn";

  /** TEE_TCB_SVN2 (16 bytes), TDX 1.5 bodies only. */
  public static final String TEE_TCB_SVN2 = "tdx.tee_tcb_svn2";

  /** MRSERVICETD (48 bytes), TDX 1.5 bodies only. */
  public static final String MR_SERVICETD = "tdx.mr_servicetd";

  /** FMSPC of the platform from the PCK certificate (6 bytes). */
  public static final String FMSPC = "tdx.fmspc";

  /** PCE SVN from the PCK certificate. */
  public static final String PCE_SVN = "tdx.pce_svn";

  /**
   * Whether the PCK chain was checked against current Intel root and PCK CRLs (boolean): true
   * whenever collateral was supplied; false only from a verifier built not to require collateral.
   */
  public static final String REVOCATION_CHECKED = "tdx.revocation_checked";

  /** Intel TCB status (UpToDate, SWHardeningNeeded, ..., OutOfDate); present with collateral. */
  public static final String TCB_STATUS = "tdx.tcb_status";

  /** Intel security advisory ids (list of strings) that apply; present with collateral. */
  public static final String ADVISORY_IDS = "tdx.advisory_ids";

  /** TCB date of the matched TCB level (ISO-8601); present with collateral. */
  public static final String TCB_DATE = "tdx.tcb_date";

  /** TCB evaluation data number of the TCB info used; present with collateral. */
  public static final String TCB_EVALUATION_NUMBER = "tdx.tcb_evaluation_number";

  /** True when a CC event log came with the quote and replayed to all four RTMRs. */
  public static final String CCEL_VERIFIED = "tdx.ccel.verified";

  /** Number of entries in the verified CC event log. */
  public static final String CCEL_EVENTS = "tdx.ccel.events";

  /**
   * Trustee's {@code collateral_expiration_status}: {@code "1"} when the verification time passed
   * the {@code nextUpdate} of Intel's TCB info, QE identity or a CRL used (all signatures still
   * verified), else {@code "0"}; present with collateral. The default policy refuses {@code "1"}.
   */
  public static final String COLLATERAL_EXPIRATION_STATUS = "tdx.collateral_expiration_status";

  /** The earliest {@code nextUpdate} passed (ISO-8601); only when collateral expired. */
  public static final String COLLATERAL_EXPIRED_SINCE = "tdx.collateral_expired_since";

  /**
   * Seconds from {@link #COLLATERAL_EXPIRED_SINCE} to the verification time; only when collateral
   * expired. A policy may allow a grace period with it.
   */
  public static final String COLLATERAL_OVERDUE_SECONDS = "tdx.collateral_overdue_seconds";

  /** TD_ATTRIBUTES bit 30 (PKS): protection keys enabled (Trustee's {@code protection_keys}). */
  public static final String PROTECTION_KEYS = "tdx.protection_keys";

  /** TD_ATTRIBUTES bit 31 (KL): key locker enabled (Trustee's {@code key_locker}). */
  public static final String KEY_LOCKER = "tdx.key_locker";

  /** TD_ATTRIBUTES bit 63 (PERFMON): performance monitoring allowed (Trustee's {@code perfmon}). */
  public static final String PERFMON = "tdx.perfmon";

  /**
   * Prefix of the quote header fields as Trustee's {@code quote.header} holds them (hex of the
   * little-endian bytes): {@code att_key_type}, {@code tee_type}, {@code reserved} (QE and PCE
   * SVN), {@code vendor_id}, {@code user_data}.
   */
  public static final String HEADER_PREFIX = "tdx.quote.header.";

  /**
   * Platform instance id from a Platform CA-issued PCK certificate (see {@link
   * dev.vouch.evidence.dcap.PckClaims}); PCK flags follow as {@code tdx.pck.sgx_type}, {@code
   * tdx.pck.ppid}, {@code tdx.pck.dynamic_platform}, {@code tdx.pck.cached_keys}, {@code
   * tdx.pck.smt_enabled}.
   */
  public static final String PLATFORM_INSTANCE_ID = "tdx.platform_instance_id";
}
