package dev.vouch.evidence.psa;

/**
 * The PSA attestation token profiles supported, with their claim keys: profile 1 used private
 * negative keys, 2.0 (RFC 9783) registered EAT keys.
 */
public enum PsaProfile {
  /** {@code PSA_IOT_PROFILE_1}, claim keys -75000 .. -75010. */
  IOT_1(
      "PSA_IOT_PROFILE_1",
      -75000,
      -75008,
      -75009,
      -75003,
      -75001,
      -75002,
      -75004,
      -75005,
      -75010,
      -75006),
  /** {@code http://arm.com/psa/2.0.0}. */
  PSA_2_0("http://arm.com/psa/2.0.0", 265, 10, 256, 2396, 2394, 2395, 2397, 2398, 2400, 2399);

  /** Profile 1's "no software measurements" claim, which may replace the components. */
  static final long IOT_1_NO_SW_MEASUREMENTS = -75007;

  private final String name;
  final long profile;
  final long nonce;
  final long instanceId;
  final long implementationId;
  final long clientId;
  final long lifecycle;
  final long bootSeed;
  final long certificationReference;
  final long verificationService;
  final long swComponents;

  PsaProfile(
      String name,
      long profile,
      long nonce,
      long instanceId,
      long implementationId,
      long clientId,
      long lifecycle,
      long bootSeed,
      long certificationReference,
      long verificationService,
      long swComponents) {
    this.name = name;
    this.profile = profile;
    this.nonce = nonce;
    this.instanceId = instanceId;
    this.implementationId = implementationId;
    this.clientId = clientId;
    this.lifecycle = lifecycle;
    this.bootSeed = bootSeed;
    this.certificationReference = certificationReference;
    this.verificationService = verificationService;
    this.swComponents = swComponents;
  }

  /** The profile string the token carries. */
  public String profileName() {
    return name;
  }
}
