package dev.vouch.policy.ear;

/** Names and constants of EAR tokens (draft-ietf-rats-ear). */
public final class Ear {
  private Ear() {}

  /** Veraison's EAR {@code eat_profile}: accepted (tokens of earlier Vouch releases carry it). */
  public static final String PROFILE = "tag:github.com,2023:veraison/ear";

  /**
   * Trustee's attestation service profile, which this package issues: relying parties written for
   * Trustee tokens check it. The claims are EAR's either way.
   */
  public static final String TRUSTEE_PROFILE =
      "tag:github.com,2024:confidential-containers/Trustee";

  /** The {@code iss} of tokens unless the issuer is configured otherwise. */
  public static final String DEFAULT_ISSUER = "vouch-attestation-service";

  public static final String EAT_PROFILE = "eat_profile";
  public static final String VERIFIER_ID = "ear.verifier-id";
  public static final String SUBMODS = "submods";
  public static final String NONCE = "eat_nonce";
  public static final String STATUS = "ear.status";
  public static final String TRUST_VECTOR = "ear.trustworthiness-vector";
  public static final String ANNOTATED_EVIDENCE = "ear.veraison.annotated-evidence";
  public static final String POLICY_ID = "ear.appraisal-policy-id";
}
