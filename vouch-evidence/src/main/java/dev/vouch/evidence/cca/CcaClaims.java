package dev.vouch.evidence.cca;

/**
 * Names of the claims {@link CcaEvidenceVerifier} produces. They are stable: policies, reference
 * values and attestation results refer to them. Byte fields are lower-case hex.
 */
public final class CcaClaims {
  private CcaClaims() {}

  /** Hex realm challenge: the realm's report data, bound to the verifier's nonce. */
  public static final String REPORT_DATA = "cca.report_data";

  /** Platform token profile, e.g. {@code http://arm.com/CCA-SSD/1.0.0}. */
  public static final String PLATFORM_PROFILE = "cca.platform.profile";

  /** Hex platform challenge: the hash of the realm attestation key it vouches for. */
  public static final String PLATFORM_CHALLENGE = "cca.platform.challenge";

  /** Hex implementation ID: identifies the platform's hardware and firmware design. */
  public static final String PLATFORM_IMPLEMENTATION_ID = "cca.platform.implementation_id";

  /** Hex instance ID (UEID of the IAK): identifies the individual platform. */
  public static final String PLATFORM_INSTANCE_ID = "cca.platform.instance_id";

  /** Hex platform configuration data. */
  public static final String PLATFORM_CONFIG = "cca.platform.config";

  /** Security lifecycle as a number, e.g. 12291 (0x3003). */
  public static final String PLATFORM_LIFECYCLE = "cca.platform.lifecycle";

  /**
   * Security lifecycle state name: {@code secured} is the only state in which the platform's claims
   * can be relied on; others are {@code unknown}, {@code assembly_and_test}, {@code
   * cca_platform_rot_provisioning}, {@code non_cca_platform_debug}, {@code
   * recoverable_cca_platform_debug}, {@code decommissioned}, {@code invalid}.
   */
  public static final String PLATFORM_LIFECYCLE_STATE = "cca.platform.lifecycle_state";

  /** Hash algorithm of the platform's measurements, e.g. {@code sha-256}. */
  public static final String PLATFORM_HASH_ALGO = "cca.platform.hash_algo";

  /** Verification service URL the platform names, when present. */
  public static final String PLATFORM_VERIFICATION_SERVICE = "cca.platform.verification_service";

  /** Number of measured software components; each is flattened under {@link #PLATFORM_SW}. */
  public static final String PLATFORM_SW_COMPONENTS = "cca.platform.sw_components";

  /**
   * Prefix of software component claims: {@code cca.platform.sw.<i>.type}, {@code .measurement}
   * (hex), {@code .signer_id} (hex), {@code .version}, {@code .hash_algo}, numbered from 0 in token
   * order; type, version and hash_algo appear when the token has them.
   */
  public static final String PLATFORM_SW = "cca.platform.sw.";

  /** Realm token profile, when the token has one. */
  public static final String REALM_PROFILE = "cca.realm.profile";

  /** Hex realm challenge (64 bytes). */
  public static final String REALM_CHALLENGE = "cca.realm.challenge";

  /** Hex realm personalization value (64 bytes). */
  public static final String REALM_PERSONALIZATION_VALUE = "cca.realm.personalization_value";

  /** Hex realm initial measurement (RIM). */
  public static final String REALM_RIM = "cca.realm.rim";

  /** Prefix of the realm extensible measurements: {@code cca.realm.rem.0} .. {@code .3} (hex). */
  public static final String REALM_REM = "cca.realm.rem.";

  /** Hash algorithm of the RIM and REMs, e.g. {@code sha-512}. */
  public static final String REALM_HASH_ALGO = "cca.realm.hash_algo";

  /** Hex realm attestation public key as carried in the token. */
  public static final String REALM_PUBLIC_KEY = "cca.realm.public_key";

  /** Hash algorithm binding the realm key to the platform challenge. */
  public static final String REALM_PUBLIC_KEY_HASH_ALGO = "cca.realm.public_key_hash_algo";
}
