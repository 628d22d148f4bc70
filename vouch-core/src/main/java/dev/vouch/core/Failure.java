package dev.vouch.core;

/**
 * The closed vocabulary of verification failures. Each constant's name is a stable error code: it
 * appears in CLI JSON output, HTTP problem documents and attestation results, so constants are only
 * ever added, never renamed.
 */
public enum Failure {
  /** The input ended before a structure it announces was complete. */
  TRUNCATED("input ends before the structure is complete"),
  /** A field holds a value the format does not allow (bad magic, unknown tag, trailing bytes). */
  MALFORMED("structure is malformed"),
  /** An algorithm, scheme or version that this verifier does not accept. */
  UNSUPPORTED("algorithm, scheme or version is not supported"),
  /** A signature does not verify over the signed bytes with the given key. */
  SIGNATURE_INVALID("signature does not verify"),
  /** The signing key does not match the key the verifier was told to expect. */
  KEY_MISMATCH("signing key is not the expected key"),
  /** The freshness nonce in the evidence differs from the one the verifier issued. */
  NONCE_MISMATCH("nonce differs from the expected nonce"),
  /** Report data binding (hash of nonce and key) differs from what was expected. */
  REPORT_DATA_MISMATCH("report data differs from the expected value"),
  /** The quoted PCR digest does not match the PCR values supplied with the quote. */
  PCR_DIGEST_MISMATCH("PCR digest does not match the supplied PCR values"),
  /** PCR values needed for a check are missing from the evidence. */
  PCR_VALUES_MISSING("PCR values needed for the check are missing"),
  /** Replaying an event log does not reproduce the quoted or reported registers. */
  EVENT_LOG_MISMATCH("event log replay does not match the quoted registers"),
  /** An entry's recorded template/event hash differs from the hash of its data. */
  TEMPLATE_HASH_MISMATCH("an entry's recorded hash differs from the hash of its data"),
  /** A certificate chain does not lead to a trusted anchor. */
  CHAIN_UNTRUSTED("certificate chain does not lead to a trusted anchor"),
  /** A certificate or collateral item is outside its validity window. */
  CERT_EXPIRED("certificate is outside its validity window"),
  /** A certificate is listed on a revocation list. */
  CERT_REVOKED("certificate is revoked"),
  /** Collateral needed for verification was not supplied. */
  COLLATERAL_MISSING("required collateral is missing"),
  /** Collateral is outside its validity window. */
  COLLATERAL_EXPIRED("collateral is outside its validity window"),
  /** The platform's TCB level is out of date or revoked. */
  TCB_OUT_OF_DATE("TCB level is out of date"),
  /** The TEE runs with debugging enabled. */
  DEBUG_ENABLED("TEE runs with debug enabled"),
  /** A policy denied the evidence. */
  POLICY_DENIED("policy denied the evidence"),
  /** An attestation result token is outside its validity window (expired or not yet valid). */
  TOKEN_EXPIRED("attestation result token is outside its validity window"),
  /** Init data (e.g. a policy document) differs from the digest bound in the TEE's config field. */
  INIT_DATA_MISMATCH("init data differs from the value bound in the evidence"),
  /**
   * A firmware event log entry whose type defines its digest as the hash of its event data carries
   * a digest (in some bank) that is not that hash: the data shown is not what was measured.
   */
  EVENT_DIGEST_MISMATCH("an event's digest is not the hash of its event data"),
  /**
   * No supplied key opens protected data (an encrypted image layer's wrapped key): the key is the
   * wrong one or the wrapped data was altered; authenticated encryption cannot tell the two apart.
   */
  DECRYPTION_FAILED("no supplied key decrypts the protected data, or the data was altered"),
  /** Content (a blob, a decrypted layer) differs from the digest recorded for it. */
  DIGEST_MISMATCH("content differs from the digest recorded for it"),
  /** An audit record's content differs from the hash recorded for it. */
  AUDIT_RECORD_ALTERED("an audit record differs from its recorded hash"),
  /** An audit record does not follow the one before it: one was removed, inserted or moved. */
  AUDIT_CHAIN_BROKEN("an audit record does not follow the record before it"),
  /** The signed checkpoint names another head than the records lead to. */
  AUDIT_CHECKPOINT_MISMATCH("the signed audit checkpoint does not match the records"),
  /**
   * The runtime data a paravisor reports beside a hardware report (Azure's HCL variable data, which
   * holds the vTPM attestation key) is not the data the hardware report binds in its report data.
   */
  HCL_DATA_MISMATCH("runtime data beside the hardware report is not the data the report binds"),
  /**
   * A hardware report was requested from a less privileged level than the evidence kind requires
   * (SEV-SNP VMPL other than 0 where the paravisor itself must have asked).
   */
  VMPL_MISMATCH("the report was requested from the wrong privilege level (VMPL)"),
  /**
   * Container evidence shows another pod's or container's measurements, or attests a container
   * other than the one asked about: attribution by cgroup disagrees with the evidence's subject.
   */
  CONTAINER_MISMATCH("the evidence holds or names another container's measurements"),
  /** A rule requires a signature and the artifact (an image) carries none it could check. */
  SIGNATURE_MISSING("no signature the rule requires is present"),
  /** A valid signature vouches for another identity (image reference) than the one at hand. */
  IDENTITY_MISMATCH("the signature names another identity than the one verified");

  private final String description;

  Failure(String description) {
    this.description = description;
  }

  /** The stable machine-readable code, identical to {@link #name()}. */
  public String code() {
    return name();
  }

  /** A short human description of the failure class (not of the particular instance). */
  public String description() {
    return description;
  }
}
