package dev.vouch.evidence.sgx;

/**
 * Names of the claims {@link SgxEvidenceVerifier} produces. Stable: policies and reference values
 * refer to them. Byte fields are lower-case hex of the bytes as the enclave report holds them.
 */
public final class SgxClaims {
  private SgxClaims() {}

  /** Quote version: 3, 4 or 5. */
  public static final String QUOTE_VERSION = "sgx.quote_version";

  /** MRENCLAVE (32 bytes): measurement of the enclave. */
  public static final String MR_ENCLAVE = "sgx.mr_enclave";

  /** MRSIGNER (32 bytes): hash of the enclave signer's key. */
  public static final String MR_SIGNER = "sgx.mr_signer";

  /** ISVPRODID of the enclave. */
  public static final String ISV_PROD_ID = "sgx.isv_prod_id";

  /** ISVSVN of the enclave. */
  public static final String ISV_SVN = "sgx.isv_svn";

  /** ATTRIBUTES (16 bytes: flags then XFRM). */
  public static final String ATTRIBUTES = "sgx.attributes";

  /** True when ATTRIBUTES.DEBUG is set: the enclave's memory is readable. Policies decide. */
  public static final String DEBUG = "sgx.debug";

  /** MISCSELECT (4 bytes). */
  public static final String MISC_SELECT = "sgx.misc_select";

  /** CONFIGID (64 bytes). */
  public static final String CONFIG_ID = "sgx.config_id";

  /** CONFIGSVN. */
  public static final String CONFIG_SVN = "sgx.config_svn";

  /** REPORTDATA (64 bytes) chosen by the enclave: nonce or runtime-data hash. */
  public static final String REPORT_DATA = "sgx.report_data";

  /** CPUSVN in the enclave report (16 bytes). */
  public static final String CPU_SVN = "sgx.cpu_svn";

  /** FMSPC of the platform from the PCK certificate (6 bytes). */
  public static final String FMSPC = "sgx.fmspc";

  /** PCE SVN from the PCK certificate. */
  public static final String PCE_SVN = "sgx.pce_svn";

  /**
   * Whether the PCK chain was checked against current Intel root and PCK CRLs (boolean): true
   * whenever collateral was supplied; false only from a verifier built not to require collateral.
   */
  public static final String REVOCATION_CHECKED = "sgx.revocation_checked";

  /** Intel TCB status (UpToDate, SWHardeningNeeded, ..., OutOfDate); present with collateral. */
  public static final String TCB_STATUS = "sgx.tcb_status";

  /** Intel security advisory ids (list of strings) that apply; present with collateral. */
  public static final String ADVISORY_IDS = "sgx.advisory_ids";

  /** TCB date of the matched TCB level (ISO-8601); present with collateral. */
  public static final String TCB_DATE = "sgx.tcb_date";

  /** TCB evaluation data number of the TCB info used; present with collateral. */
  public static final String TCB_EVALUATION_NUMBER = "sgx.tcb_evaluation_number";

  /**
   * Trustee's {@code collateral_expiration_status}: {@code "1"} when the verification time passed
   * the {@code nextUpdate} of Intel's TCB info, QE identity or a CRL used (all signatures still
   * verified), else {@code "0"}; present with collateral. The default policy refuses {@code "1"}.
   */
  public static final String COLLATERAL_EXPIRATION_STATUS = "sgx.collateral_expiration_status";

  /** The earliest {@code nextUpdate} passed (ISO-8601); only when collateral expired. */
  public static final String COLLATERAL_EXPIRED_SINCE = "sgx.collateral_expired_since";

  /**
   * Seconds from {@link #COLLATERAL_EXPIRED_SINCE} to the verification time; only when collateral
   * expired. A policy may allow a grace period with it.
   */
  public static final String COLLATERAL_OVERDUE_SECONDS = "sgx.collateral_overdue_seconds";

  /** ISVEXTPRODID (16 bytes). */
  public static final String ISV_EXT_PROD_ID = "sgx.isv_ext_prod_id";

  /** ISVFAMILYID (16 bytes). */
  public static final String ISV_FAMILY_ID = "sgx.isv_family_id";

  /**
   * Prefix of the quote header fields as Trustee's SGX {@code header} holds them (hex of the
   * little-endian bytes): {@code att_key_type}, {@code att_key_data_0}, {@code qe_svn}, {@code
   * pce_svn}, {@code vendor_id}, {@code user_data}.
   */
  public static final String HEADER_PREFIX = "sgx.quote.header.";

  /**
   * Platform instance id from a Platform CA-issued PCK certificate (see {@link
   * dev.vouch.evidence.dcap.PckClaims}); PCK flags follow as {@code sgx.pck.sgx_type}, {@code
   * sgx.pck.ppid}, {@code sgx.pck.dynamic_platform}, {@code sgx.pck.cached_keys}, {@code
   * sgx.pck.smt_enabled}.
   */
  public static final String PLATFORM_INSTANCE_ID = "sgx.platform_instance_id";
}
