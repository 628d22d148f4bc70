package dev.vouch.core.crypto;

import java.util.Optional;

/**
 * A signature algorithm and its message hash, the unit that {@link Signatures} verifies. Each
 * constant names one family (RSA PKCS#1 v1.5, RSA-PSS or ECDSA) with one hash; the message is
 * hashed by the verifier, callers always pass the signed bytes themselves.
 */
public enum SignatureScheme {
  RSA_PKCS1_SHA1(Family.RSA_PKCS1, HashAlg.SHA1, "SHA1withRSA"),
  RSA_PKCS1_SHA256(Family.RSA_PKCS1, HashAlg.SHA256, "SHA256withRSA"),
  RSA_PKCS1_SHA384(Family.RSA_PKCS1, HashAlg.SHA384, "SHA384withRSA"),
  RSA_PKCS1_SHA512(Family.RSA_PKCS1, HashAlg.SHA512, "SHA512withRSA"),
  RSA_PSS_SHA1(Family.RSA_PSS, HashAlg.SHA1, "RSASSA-PSS"),
  RSA_PSS_SHA256(Family.RSA_PSS, HashAlg.SHA256, "RSASSA-PSS"),
  RSA_PSS_SHA384(Family.RSA_PSS, HashAlg.SHA384, "RSASSA-PSS"),
  RSA_PSS_SHA512(Family.RSA_PSS, HashAlg.SHA512, "RSASSA-PSS"),
  ECDSA_SHA1(Family.ECDSA, HashAlg.SHA1, "SHA1withECDSA"),
  ECDSA_SHA256(Family.ECDSA, HashAlg.SHA256, "SHA256withECDSA"),
  ECDSA_SHA384(Family.ECDSA, HashAlg.SHA384, "SHA384withECDSA"),
  ECDSA_SHA512(Family.ECDSA, HashAlg.SHA512, "SHA512withECDSA");

  /** The signature family, which fixes the key type. */
  public enum Family {
    /** RSASSA-PKCS1-v1_5; RSA keys. */
    RSA_PKCS1("RSA"),
    /** RSASSA-PSS with MGF1 over the same hash; RSA keys. */
    RSA_PSS("RSA"),
    /** ECDSA with DER-encoded (r, s); EC keys. */
    ECDSA("EC");

    private final String keyAlgorithm;

    Family(String keyAlgorithm) {
      this.keyAlgorithm = keyAlgorithm;
    }

    /** The JCA key algorithm this family needs: {@code RSA} or {@code EC}. */
    public String keyAlgorithm() {
      return keyAlgorithm;
    }
  }

  private final Family family;
  private final HashAlg hash;
  private final String jcaName;

  SignatureScheme(Family family, HashAlg hash, String jcaName) {
    this.family = family;
    this.hash = hash;
    this.jcaName = jcaName;
  }

  public Family family() {
    return family;
  }

  /** The hash applied to the message before signing. */
  public HashAlg hash() {
    return hash;
  }

  /**
   * The RSA-PSS salt length in bytes: the hash length, which is what TPMs use (TPM 2.0 Part 1,
   * RSASSA-PSS) and what AMD uses for its certificates and CRLs (SHA-384, salt 48). One salt length
   * per scheme means each signature is tried exactly once.
   *
   * @throws IllegalStateException for a scheme that is not RSA-PSS
   */
  public int pssSaltLength() {
    if (family != Family.RSA_PSS) {
      throw new IllegalStateException(this + " has no PSS salt");
    }
    return hash.size();
  }

  /** The JCA {@code Signature} algorithm name. */
  public String jcaName() {
    return jcaName;
  }

  /** The scheme of {@code family} with {@code hash}, if Vouch supports the pair. */
  public static Optional<SignatureScheme> of(Family family, HashAlg hash) {
    for (SignatureScheme s : values()) {
      if (s.family == family && s.hash == hash) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }
}
