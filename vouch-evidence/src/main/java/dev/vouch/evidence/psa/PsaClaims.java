package dev.vouch.evidence.psa;

/**
 * Names of the claims {@link PsaTokenVerifier} produces, the same for both token profiles. Byte
 * fields are lower-case hex.
 */
public final class PsaClaims {
  private PsaClaims() {}

  /** Profile: {@code http://arm.com/psa/2.0.0} or {@code PSA_IOT_PROFILE_1}. */
  public static final String PROFILE = "psa.profile";

  /** Hex nonce (challenge) the token answers. */
  public static final String NONCE = "psa.nonce";

  /** Hex instance ID (UEID of the attestation key). */
  public static final String INSTANCE_ID = "psa.instance_id";

  /** Hex implementation ID. */
  public static final String IMPLEMENTATION_ID = "psa.implementation_id";

  /** Client ID of the caller that asked for the token (negative: non-secure caller). */
  public static final String CLIENT_ID = "psa.client_id";

  /** Security lifecycle as a number. */
  public static final String LIFECYCLE = "psa.lifecycle";

  /** Security lifecycle state name, e.g. {@code secured}. */
  public static final String LIFECYCLE_STATE = "psa.lifecycle_state";

  /** Hex boot seed, when present. */
  public static final String BOOT_SEED = "psa.boot_seed";

  /** Certification reference (hardware version in profile 1), when present. */
  public static final String CERTIFICATION_REFERENCE = "psa.certification_reference";

  /** Verification service indicator, when present. */
  public static final String VERIFICATION_SERVICE = "psa.verification_service";

  /** Number of measured software components (0 when the token says it has none). */
  public static final String SW_COMPONENTS = "psa.sw_components";

  /**
   * Prefix of software component claims: {@code psa.sw.<i>.type}, {@code .measurement}, {@code
   * .signer_id}, {@code .version}, {@code .hash_algo}.
   */
  public static final String SW = "psa.sw.";
}
