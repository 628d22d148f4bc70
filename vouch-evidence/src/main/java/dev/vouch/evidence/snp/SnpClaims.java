package dev.vouch.evidence.snp;

/**
 * Names of the claims {@link SnpEvidenceVerifier} produces. They are stable: policies, reference
 * values and attestation results refer to them. Byte fields are lower-case hex; numbers are longs;
 * flags are booleans. The verifier judges authenticity only: a debug policy, a VMPL other than 0 or
 * an old TCB verify, and policies decide on these claims.
 */
public final class SnpClaims {
  private SnpClaims() {}

  /**
   * Whether the certificate path was checked for revocation (boolean): true when the ARK's current
   * CRL showed the ASK or ASVK unrevoked (AMD publishes no CRL for VCEKs and VLEKs; their
   * intermediates cannot sign one), false only from a verifier built without revocation.
   */
  public static final String REVOCATION_CHECKED = "snp.revocation_checked";

  /** Report VERSION (2, 3, 4 or 5). */
  public static final String VERSION = "snp.version";

  /** GUEST_SVN: the guest's security version number. */
  public static final String GUEST_SVN = "snp.guest_svn";

  /** Guest POLICY as 16 hex digits; its bits are also given one by one below. */
  public static final String POLICY = "snp.policy";

  /** POLICY ABI_MAJOR: the minimum firmware ABI major version the guest requires. */
  public static final String POLICY_ABI_MAJOR = "snp.policy.abi_major";

  /** POLICY ABI_MINOR. */
  public static final String POLICY_ABI_MINOR = "snp.policy.abi_minor";

  /** POLICY bit 16: the host may use SMT. */
  public static final String POLICY_SMT = "snp.policy.smt";

  /** POLICY bit 18: a migration agent may be associated. */
  public static final String POLICY_MIGRATE_MA = "snp.policy.migrate_ma";

  /** POLICY bit 19: the hypervisor may debug the guest (its memory is readable). */
  public static final String POLICY_DEBUG = "snp.policy.debug";

  /** POLICY bit 20: the guest may run on one socket only. */
  public static final String POLICY_SINGLE_SOCKET = "snp.policy.single_socket";

  /** POLICY bit 21: CXL may be populated. */
  public static final String POLICY_CXL_ALLOW = "snp.policy.cxl_allow";

  /** POLICY bit 22: AES-256-XTS memory encryption is required. */
  public static final String POLICY_MEM_AES_256_XTS = "snp.policy.mem_aes_256_xts";

  /** POLICY bit 23: RAPL must be disabled. */
  public static final String POLICY_RAPL_DIS = "snp.policy.rapl_dis";

  /** POLICY bit 24: ciphertext hiding must be enabled. */
  public static final String POLICY_CIPHERTEXT_HIDING = "snp.policy.ciphertext_hiding";

  /** POLICY bit 25: page move and swap commands are disabled for the guest. */
  public static final String POLICY_PAGE_SWAP_DISABLE = "snp.policy.page_swap_disable";

  /** FAMILY_ID (16 bytes) from the ID block. */
  public static final String FAMILY_ID = "snp.family_id";

  /** IMAGE_ID (16 bytes) from the ID block. */
  public static final String IMAGE_ID = "snp.image_id";

  /** VMPL of the guest code that requested the report (0 is the most privileged). */
  public static final String VMPL = "snp.vmpl";

  /** SIGNATURE_ALGO (1 = ECDSA P-384 with SHA-384). */
  public static final String SIGNATURE_ALGO = "snp.signature_algo";

  /**
   * Prefixes of the four TCB versions; each is followed by {@code bootloader}, {@code tee}, {@code
   * snp}, {@code microcode} and, from Turin on, {@code fmc}, e.g. {@code snp.reported_tcb.snp}.
   */
  public static final String CURRENT_TCB = "snp.current_tcb";

  /** TCB the VCEK was derived from; it matches the VCEK certificate's extensions. */
  public static final String REPORTED_TCB = "snp.reported_tcb";

  /** TCB the platform committed to (anti-rollback). */
  public static final String COMMITTED_TCB = "snp.committed_tcb";

  /** TCB when the guest was launched or migrated. */
  public static final String LAUNCH_TCB = "snp.launch_tcb";

  /** PLATFORM_INFO as 16 hex digits. */
  public static final String PLATFORM_INFO = "snp.platform_info";

  /** PLATFORM_INFO bit 0: SMT is enabled on the host. */
  public static final String PLATFORM_SMT = "snp.platform_info.smt";

  /** PLATFORM_INFO bit 1: TSME is enabled. */
  public static final String PLATFORM_TSME = "snp.platform_info.tsme";

  /** KEY_INFO AUTHOR_KEY_EN: an author key signed the ID key. */
  public static final String AUTHOR_KEY_EN = "snp.author_key_en";

  /** MEASUREMENT: the launch digest (48 bytes). */
  public static final String MEASUREMENT = "snp.measurement";

  /** HOST_DATA (32 bytes) the host supplied at launch (Trustee binds init data here). */
  public static final String HOST_DATA = "snp.host_data";

  /** SHA-384 of the ID block's signing key. */
  public static final String ID_KEY_DIGEST = "snp.id_key_digest";

  /** SHA-384 of the author key, zero unless {@link #AUTHOR_KEY_EN}. */
  public static final String AUTHOR_KEY_DIGEST = "snp.author_key_digest";

  /** REPORT_ID: the guest context's identifier. */
  public static final String REPORT_ID = "snp.report_id";

  /** REPORT_ID_MA: the migration agent's report ID (all ff when there is none). */
  public static final String REPORT_ID_MA = "snp.report_id_ma";

  /** CHIP_ID (64 bytes; zero when masked; from Turin on only the first 8 are set). */
  public static final String CHIP_ID = "snp.chip_id";

  /** REPORT_DATA (64 bytes) the guest supplied. */
  public static final String REPORT_DATA = "snp.report_data";

  /** {@code vcek} or {@code vlek}: the key that signed the report. */
  public static final String SIGNING_KEY = "snp.signing_key";

  /** {@code milan}, {@code genoa} or {@code turin}. */
  public static final String PRODUCT = "snp.product";

  /** Firmware version {@code major.minor.build} currently running. */
  public static final String CURRENT_VERSION = "snp.current_version";

  /** Firmware version {@code major.minor.build} committed. */
  public static final String COMMITTED_VERSION = "snp.committed_version";

  /** CPUID family (version 3 reports on). */
  public static final String CPUID_FAMILY = "snp.cpuid.family";

  /** CPUID model (version 3 reports on). */
  public static final String CPUID_MODEL = "snp.cpuid.model";

  /** CPUID stepping (version 3 reports on). */
  public static final String CPUID_STEPPING = "snp.cpuid.stepping";

  /** LAUNCH_MIT_VECTOR as 16 hex digits (version 5 reports on). */
  public static final String LAUNCH_MIT_VECTOR = "snp.launch_mit_vector";

  /** CURRENT_MIT_VECTOR as 16 hex digits (version 5 reports on). */
  public static final String CURRENT_MIT_VECTOR = "snp.current_mit_vector";

  /** The cloud provider a VLEK was issued to, e.g. {@code CN=cc-us-east-2.amazonaws.com}. */
  public static final String VLEK_CSP_ID = "snp.vlek.csp_id";
}
