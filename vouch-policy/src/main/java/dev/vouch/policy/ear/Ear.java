package dev.vouch.policy.ear;

/** Names and constants of EAR tokens (draft-ietf-rats-ear). */
public final class Ear {
  private Ear() {}

  /** The {@code eat_profile} of the tokens this package issues and accepts. */
  public static final String PROFILE = "tag:github.com,2023:veraison/ear";

  public static final String EAT_PROFILE = "eat_profile";
  public static final String VERIFIER_ID = "ear.verifier-id";
  public static final String SUBMODS = "submods";
  public static final String NONCE = "eat_nonce";
  public static final String STATUS = "ear.status";
  public static final String TRUST_VECTOR = "ear.trustworthiness-vector";
  public static final String ANNOTATED_EVIDENCE = "ear.veraison.annotated-evidence";
  public static final String POLICY_ID = "ear.appraisal-policy-id";
}
