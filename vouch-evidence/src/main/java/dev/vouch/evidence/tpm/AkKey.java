package dev.vouch.evidence.tpm;

import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Objects;
import java.util.Optional;

/**
 * An attestation key as the verifier knows it: always a JCA key, and the TPM public area when the
 * key came as TPM2B_PUBLIC/TPMT_PUBLIC (then its attributes, fixed scheme and name are checked
 * too). Build one with {@link AkKeys}.
 *
 * @param publicKey the key signatures are verified with
 * @param tpmPublic the TPM public area it came from, if any
 */
public record AkKey(PublicKey publicKey, Optional<TpmPublic> tpmPublic) {

  public AkKey {
    Objects.requireNonNull(publicKey, "publicKey");
    Objects.requireNonNull(tpmPublic, "tpmPublic");
  }

  public boolean isRsa() {
    return publicKey instanceof RSAPublicKey;
  }

  public boolean isEc() {
    return publicKey instanceof ECPublicKey;
  }

  /** The TPM name, when the key came with its TPM public area. */
  public Optional<byte[]> name() {
    return tpmPublic.map(TpmPublic::name);
  }

  /** True when {@code other} is the same public key (same modulus and exponent, or same point). */
  public boolean sameKey(PublicKey other) {
    return AkKeys.sameKey(publicKey, other);
  }
}
