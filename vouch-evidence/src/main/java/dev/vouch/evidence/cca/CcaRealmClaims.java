package dev.vouch.evidence.cca;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import java.util.List;
import java.util.Optional;

/**
 * The claims of a CCA realm token (RMM specification, realm claims), read from its COSE payload.
 *
 * @param profile claim 265, absent in tokens from RMM versions before the profile was added
 * @param challenge claim 10: the 64 bytes the realm asked to be attested (its report data)
 * @param personalizationValue claim 44235, 64 bytes
 * @param initialMeasurement claim 44238 (RIM)
 * @param extensibleMeasurements claim 44239: the four REMs
 * @param hashAlgo claim 44236: the algorithm of the RIM and REMs
 * @param publicKey claim 44237: the realm attestation key (RAK) as the token carries it, a raw
 *     uncompressed point or a COSE_Key; the platform challenge is its hash
 * @param publicKeyHashAlgo claim 44240: the algorithm of that hash
 */
public record CcaRealmClaims(
    Optional<String> profile,
    byte[] challenge,
    byte[] personalizationValue,
    byte[] initialMeasurement,
    List<byte[]> extensibleMeasurements,
    String hashAlgo,
    byte[] publicKey,
    String publicKeyHashAlgo) {

  /** The realm profile this verifier understands when the claim is present. */
  public static final String PROFILE_1_0 = "tag:arm.com,2023:realm#1.0.0";

  static final long PROFILE = 265;
  static final long CHALLENGE = 10;
  static final long PERSONALIZATION_VALUE = 44235;
  static final long HASH_ALGO = 44236;
  static final long PUBLIC_KEY = 44237;
  static final long INITIAL_MEASUREMENT = 44238;
  static final long EXTENSIBLE_MEASUREMENTS = 44239;
  static final long PUBLIC_KEY_HASH_ALGO = 44240;

  public CcaRealmClaims {
    challenge = challenge.clone();
    personalizationValue = personalizationValue.clone();
    initialMeasurement = initialMeasurement.clone();
    extensibleMeasurements = extensibleMeasurements.stream().map(byte[]::clone).toList();
    publicKey = publicKey.clone();
  }

  @Override
  public byte[] challenge() {
    return challenge.clone();
  }

  @Override
  public byte[] personalizationValue() {
    return personalizationValue.clone();
  }

  @Override
  public byte[] initialMeasurement() {
    return initialMeasurement.clone();
  }

  @Override
  public List<byte[]> extensibleMeasurements() {
    return extensibleMeasurements.stream().map(byte[]::clone).toList();
  }

  @Override
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /**
   * The RAK: a raw uncompressed point (RMM before the realm profile) or a COSE_Key (realm profile
   * 1.0), recognised by its first byte.
   */
  public EcKey realmKey() throws VerificationException {
    if (publicKey.length > 0 && publicKey[0] == 0x04) {
      return EcKey.fromUncompressedPoint(publicKey);
    }
    return EcKey.fromCoseKey(Cbor.decode(publicKey, "realm public key").asMap("realm COSE_Key"));
  }

  /** The algorithm of the platform challenge over {@link #publicKey}. */
  public HashAlg publicKeyHash() throws VerificationException {
    return namedHash(publicKeyHashAlgo, "realm public key hash");
  }

  /** Reads and checks the claims of a realm token payload. */
  public static CcaRealmClaims parse(byte[] payload) throws VerificationException {
    String w = "CCA realm claims";
    CborValue.Map m = Cbor.decode(payload, w).asMap(w);
    Optional<String> profile = SwComponent.optionalText(m, PROFILE, "realm profile");
    if (profile.isPresent() && !profile.get().equals(PROFILE_1_0)) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "CCA realm profile " + profile.get() + " is not supported");
    }
    byte[] challenge = m.require(CHALLENGE, w + " challenge").asBytes("realm challenge");
    byte[] personalization =
        m.require(PERSONALIZATION_VALUE, w + " personalization value")
            .asBytes("personalization value");
    if (challenge.length != 64 || personalization.length != 64) {
      throw new VerificationException(
          Failure.MALFORMED, "realm challenge and personalization value must be 64 bytes");
    }
    String hashAlgo = m.require(HASH_ALGO, w + " hash algorithm").asText("realm hash algorithm");
    int size = namedHash(hashAlgo, "realm measurement hash").size();
    byte[] rim = m.require(INITIAL_MEASUREMENT, w + " RIM").asBytes("RIM");
    List<CborValue> remItems = m.require(EXTENSIBLE_MEASUREMENTS, w + " REMs").asArray("REMs");
    if (remItems.size() != 4) {
      throw new VerificationException(
          Failure.MALFORMED, "a realm has 4 REMs, the token lists " + remItems.size());
    }
    List<byte[]> rems = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      rems.add(remItems.get(i).asBytes("REM " + i));
    }
    for (byte[] measurement : concat(rim, rems)) {
      if (measurement.length != size) {
        throw new VerificationException(
            Failure.MALFORMED,
            "a "
                + hashAlgo
                + " realm measurement is "
                + size
                + " bytes, not "
                + measurement.length);
      }
    }
    byte[] key = m.require(PUBLIC_KEY, w + " public key").asBytes("realm public key");
    String keyHash =
        m.require(PUBLIC_KEY_HASH_ALGO, w + " public key hash algorithm")
            .asText("realm public key hash algorithm");
    return new CcaRealmClaims(
        profile, challenge, personalization, rim, rems, hashAlgo, key, keyHash);
  }

  private static List<byte[]> concat(byte[] first, List<byte[]> rest) {
    List<byte[]> all = new java.util.ArrayList<>(rest);
    all.add(0, first);
    return all;
  }

  /** {@code sha-256}, {@code sha-384}, {@code sha-512} (IANA hash names), else UNSUPPORTED. */
  static HashAlg namedHash(String name, String what) throws VerificationException {
    return switch (name) {
      case "sha-256" -> HashAlg.SHA256;
      case "sha-384" -> HashAlg.SHA384;
      case "sha-512" -> HashAlg.SHA512;
      default ->
          throw new VerificationException(
              Failure.UNSUPPORTED, what + " algorithm " + name + " is not supported");
    };
  }
}
