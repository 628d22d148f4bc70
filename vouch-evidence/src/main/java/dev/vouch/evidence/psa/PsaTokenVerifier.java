package dev.vouch.evidence.psa;

import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.evidence.cca.Cbor;
import dev.vouch.evidence.cca.CborValue;
import dev.vouch.evidence.cca.CoseSign1;
import dev.vouch.evidence.cca.EcKey;
import dev.vouch.evidence.cca.SecurityLifecycle;
import dev.vouch.evidence.cca.SwComponent;
import java.util.List;
import java.util.Optional;

/**
 * Verifies a PSA attestation token (profile {@code PSA_IOT_PROFILE_1} or {@code
 * http://arm.com/psa/2.0.0}, RFC 9783): a COSE_Sign1 (tag 18 optional) signed ES256/384/512 by the
 * device's initial attestation key, whose claims name the nonce, the instance and implementation,
 * the lifecycle and the measured software. Produces the claims in {@link PsaClaims}.
 *
 * <p>A library class: PSA devices are not a TEE kind of their own in Vouch, so it is not in the
 * verifier registry. Immutable and thread-safe.
 */
public final class PsaTokenVerifier {
  private final List<EcKey> keys;

  /** A verifier that trusts these attestation keys. */
  public PsaTokenVerifier(List<EcKey> keys) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("a PSA token verifier needs at least one key");
    }
    this.keys = List.copyOf(keys);
  }

  /**
   * Verifies {@code token} and, when {@code nonce} is present, that the token's nonce equals it.
   *
   * @throws VerificationException MALFORMED / TRUNCATED / UNSUPPORTED for the encoding or an
   *     unknown profile, SIGNATURE_INVALID when no trusted key verifies the signature, KEY_MISMATCH
   *     when no trusted key is on the algorithm's curve, NONCE_MISMATCH for another nonce
   */
  public Claims verify(byte[] token, Optional<byte[]> nonce) throws VerificationException {
    CoseSign1 cose = CoseSign1.decode(token, CoseSign1.Tagging.OPTIONAL, "PSA token");
    boolean usable = false;
    boolean verified = false;
    for (EcKey k : keys) {
      if (k.curve() == cose.algorithm().curve()) {
        usable = true;
        if (cose.verifies(k)) {
          verified = true;
          break;
        }
      }
    }
    if (!usable) {
      throw new VerificationException(
          Failure.KEY_MISMATCH, "no trusted key is on " + cose.algorithm() + "'s curve");
    }
    if (!verified) {
      throw new VerificationException(
          Failure.SIGNATURE_INVALID,
          "PSA token: " + cose.algorithm() + " signature does not verify");
    }
    Claims claims = claims(Cbor.decode(cose.payload(), "PSA claims").asMap("PSA claims"));
    if (nonce.isPresent()
        && !Crypto.constantTimeEquals(
            nonce.get(), Hex.decode((String) claims.get(PsaClaims.NONCE)))) {
      throw new VerificationException(
          Failure.NONCE_MISMATCH, "the PSA token answers another nonce");
    }
    return claims;
  }

  private static PsaProfile profileOf(CborValue.Map m) throws VerificationException {
    if (m.get(PsaProfile.IOT_1.profile).isPresent()
        && m.get(PsaProfile.PSA_2_0.profile).isPresent()) {
      throw new VerificationException(Failure.MALFORMED, "the PSA token names two profiles");
    }
    for (PsaProfile p : PsaProfile.values()) {
      Optional<CborValue> v = m.get(p.profile);
      if (v.isPresent()) {
        String name = v.get().asText("PSA profile");
        if (!name.equals(p.profileName())) {
          throw new VerificationException(
              Failure.UNSUPPORTED, "PSA profile " + name + " is not supported");
        }
        return p;
      }
    }
    throw new VerificationException(Failure.MALFORMED, "the PSA token names no profile");
  }

  private static Claims claims(CborValue.Map m) throws VerificationException {
    PsaProfile p = profileOf(m);
    Claims.Builder c = Claims.builder();
    c.put(PsaClaims.PROFILE, p.profileName());
    byte[] nonce = m.require(p.nonce, "PSA nonce").asBytes("PSA nonce");
    if (nonce.length != 32 && nonce.length != 48 && nonce.length != 64) {
      throw new VerificationException(
          Failure.MALFORMED, "a PSA nonce is 32, 48 or 64 bytes, not " + nonce.length);
    }
    c.put(PsaClaims.NONCE, Hex.encode(nonce));
    byte[] instance = m.require(p.instanceId, "PSA instance ID").asBytes("PSA instance ID");
    if (instance.length != 33 || instance[0] != 0x01) {
      throw new VerificationException(
          Failure.MALFORMED, "PSA instance ID must be a 33-byte random UEID (type 0x01)");
    }
    c.put(PsaClaims.INSTANCE_ID, Hex.encode(instance));
    byte[] implementation =
        m.require(p.implementationId, "PSA implementation ID").asBytes("PSA implementation ID");
    if (implementation.length != 32) {
      throw new VerificationException(
          Failure.MALFORMED, "PSA implementation ID is " + implementation.length + " bytes");
    }
    c.put(PsaClaims.IMPLEMENTATION_ID, Hex.encode(implementation));
    c.put(PsaClaims.CLIENT_ID, m.require(p.clientId, "PSA client ID").asLong("PSA client ID"));
    long lifecycle = m.require(p.lifecycle, "PSA lifecycle").asLong("PSA lifecycle");
    c.put(PsaClaims.LIFECYCLE, lifecycle);
    c.put(PsaClaims.LIFECYCLE_STATE, SecurityLifecycle.psaName(lifecycle));
    Optional<CborValue> seed = m.get(p.bootSeed);
    if (seed.isPresent()) {
      c.put(PsaClaims.BOOT_SEED, Hex.encode(seed.get().asBytes("PSA boot seed")));
    }
    Optional<CborValue> ref = m.get(p.certificationReference);
    if (ref.isPresent()) {
      c.put(PsaClaims.CERTIFICATION_REFERENCE, ref.get().asText("PSA certification reference"));
    }
    Optional<CborValue> service = m.get(p.verificationService);
    if (service.isPresent()) {
      c.put(PsaClaims.VERIFICATION_SERVICE, service.get().asText("PSA verification service"));
    }
    Optional<CborValue> sw = m.get(p.swComponents);
    List<SwComponent> components;
    if (sw.isPresent()) {
      components = SwComponent.parseAll(sw.get(), "PSA sw component");
    } else if (p == PsaProfile.IOT_1 && m.get(PsaProfile.IOT_1_NO_SW_MEASUREMENTS).isPresent()) {
      components = List.of();
    } else {
      throw new VerificationException(
          Failure.MALFORMED, "the PSA token lists no software components");
    }
    c.put(PsaClaims.SW_COMPONENTS, components.size());
    for (int i = 0; i < components.size(); i++) {
      SwComponent s = components.get(i);
      String prefix = PsaClaims.SW + i + ".";
      s.type().ifPresent(v -> c.put(prefix + "type", v));
      c.put(prefix + "measurement", Hex.encode(s.measurement()));
      c.put(prefix + "signer_id", Hex.encode(s.signerId()));
      s.version().ifPresent(v -> c.put(prefix + "version", v));
      s.hashAlgo().ifPresent(v -> c.put(prefix + "hash_algo", v));
    }
    return c.build();
  }
}
