package dev.vouch.evidence.cca;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The claims of a CCA platform token (Arm CCA Security Model / RMM specification), read from its
 * COSE payload. Both the legacy profile {@code http://arm.com/CCA-SSD/1.0.0} (TF-RMM and FVP
 * stacks) and {@code tag:arm.com,2023:cca_platform#1.0.0} are accepted; any other is {@link
 * Failure#UNSUPPORTED}.
 *
 * @param profile claim 265
 * @param challenge claim 10: the hash of the realm attestation key, 32, 48 or 64 bytes
 * @param implementationId claim 2396, 32 bytes
 * @param instanceId claim 256: the IAK's UEID, 33 bytes starting 0x01
 * @param config claim 2401
 * @param lifecycle claim 2395
 * @param swComponents claim 2399
 * @param verificationService claim 2400, optional
 * @param hashAlgo claim 2402: the algorithm of the platform's measurements
 */
public record CcaPlatformClaims(
    String profile,
    byte[] challenge,
    byte[] implementationId,
    byte[] instanceId,
    byte[] config,
    long lifecycle,
    List<SwComponent> swComponents,
    Optional<String> verificationService,
    String hashAlgo) {

  /** Profiles this verifier understands. */
  public static final Set<String> PROFILES =
      Set.of("http://arm.com/CCA-SSD/1.0.0", "tag:arm.com,2023:cca_platform#1.0.0");

  static final long PROFILE = 265;
  static final long CHALLENGE = 10;
  static final long INSTANCE_ID = 256;
  static final long LIFECYCLE = 2395;
  static final long IMPLEMENTATION_ID = 2396;
  static final long SW_COMPONENTS = 2399;
  static final long VERIFICATION_SERVICE = 2400;
  static final long CONFIG = 2401;
  static final long HASH_ALGO = 2402;

  public CcaPlatformClaims {
    challenge = challenge.clone();
    implementationId = implementationId.clone();
    instanceId = instanceId.clone();
    config = config.clone();
    swComponents = List.copyOf(swComponents);
  }

  @Override
  public byte[] challenge() {
    return challenge.clone();
  }

  @Override
  public byte[] implementationId() {
    return implementationId.clone();
  }

  @Override
  public byte[] instanceId() {
    return instanceId.clone();
  }

  @Override
  public byte[] config() {
    return config.clone();
  }

  /** The lifecycle state's name, e.g. {@code secured}. */
  public String lifecycleState() {
    return SecurityLifecycle.ccaName(lifecycle);
  }

  /** Reads and checks the claims of a platform token payload. */
  public static CcaPlatformClaims parse(byte[] payload) throws VerificationException {
    String w = "CCA platform claims";
    CborValue.Map m = Cbor.decode(payload, w).asMap(w);
    String profile = m.require(PROFILE, w + " profile").asText("platform profile");
    if (!PROFILES.contains(profile)) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "CCA platform profile " + profile + " is not supported");
    }
    byte[] challenge = m.require(CHALLENGE, w + " challenge").asBytes("platform challenge");
    if (challenge.length != 32 && challenge.length != 48 && challenge.length != 64) {
      throw new VerificationException(
          Failure.MALFORMED, "platform challenge is " + challenge.length + " bytes");
    }
    byte[] implementation =
        m.require(IMPLEMENTATION_ID, w + " implementation ID").asBytes("implementation ID");
    if (implementation.length != 32) {
      throw new VerificationException(
          Failure.MALFORMED, "implementation ID is " + implementation.length + " bytes, not 32");
    }
    byte[] instance = m.require(INSTANCE_ID, w + " instance ID").asBytes("instance ID");
    if (instance.length != 33 || instance[0] != 0x01) {
      throw new VerificationException(
          Failure.MALFORMED, "instance ID must be a 33-byte random UEID (type 0x01)");
    }
    long lifecycle = m.require(LIFECYCLE, w + " lifecycle").asLong("lifecycle");
    if (lifecycle < 0 || lifecycle > 0xffff) {
      throw new VerificationException(Failure.MALFORMED, "lifecycle " + lifecycle + " is invalid");
    }
    return new CcaPlatformClaims(
        profile,
        challenge,
        implementation,
        instance,
        m.require(CONFIG, w + " config").asBytes("platform config"),
        lifecycle,
        SwComponent.parseAll(m.require(SW_COMPONENTS, w + " software components"), "sw component"),
        SwComponent.optionalText(m, VERIFICATION_SERVICE, "verification service"),
        m.require(HASH_ALGO, w + " hash algorithm").asText("platform hash algorithm"));
  }
}
