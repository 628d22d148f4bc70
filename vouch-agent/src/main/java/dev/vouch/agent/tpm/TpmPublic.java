package dev.vouch.agent.tpm;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.crypto.HashAlg;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.EllipticCurve;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;

/**
 * The parts of a TPMT_PUBLIC (RSA or ECC key) that the agent needs itself: algorithms, attributes,
 * policy, the key as a JCA {@link PublicKey}, and the object's name. A deliberately small reader
 * for the client's own use (credential protection, tests); full TPM structure parsing for
 * verification lives in vouch-evidence.
 *
 * @param type TPM_ALG_RSA or TPM_ALG_ECC
 * @param nameAlg the name algorithm
 * @param attributes TPMA_OBJECT bits, see {@link ObjectAttributes}
 * @param authPolicy the policy digest (may be empty)
 * @param symmetricAlg TPM_ALG_ID of the symmetric definition (TPM_ALG_NULL when none)
 * @param symmetricKeyBits its key size, 0 when none
 * @param symmetricMode its mode (TPM_ALG_CFB for storage keys), 0 when none
 * @param scheme the signing or decryption scheme, TPM_ALG_NULL when none
 * @param schemeHash the scheme's hash algorithm id, 0 when none
 * @param curve TPM_ECC_CURVE for ECC keys, 0 for RSA
 * @param unique the RSA modulus, or the ECC point x || y as two TPM2B
 * @param tpmtPublic the whole marshalled TPMT_PUBLIC
 */
public record TpmPublic(
    int type,
    HashAlg nameAlg,
    int attributes,
    byte[] authPolicy,
    int symmetricAlg,
    int symmetricKeyBits,
    int symmetricMode,
    int scheme,
    int schemeHash,
    int curve,
    byte[] unique,
    byte[] tpmtPublic) {

  public TpmPublic {
    authPolicy = authPolicy.clone();
    unique = unique.clone();
    tpmtPublic = tpmtPublic.clone();
  }

  /** Parses a TPM2B_PUBLIC (2-byte size, then TPMT_PUBLIC). */
  public static TpmPublic parse(byte[] tpm2bPublic) throws VerificationException {
    ByteReader r = ByteReader.bigEndian(tpm2bPublic);
    int size = r.length16("TPM2B_PUBLIC");
    byte[] area = r.bytes(size);
    r.expectEnd("TPM2B_PUBLIC");
    return parseArea(area);
  }

  /** Parses a TPMT_PUBLIC without size prefix. */
  public static TpmPublic parseArea(byte[] area) throws VerificationException {
    ByteReader r = ByteReader.bigEndian(area);
    int type = r.u16();
    int nameAlgId = r.u16();
    HashAlg nameAlg =
        HashAlg.fromTpmId(nameAlgId)
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.UNSUPPORTED, String.format("nameAlg 0x%04x", nameAlgId)));
    int attributes = r.s32();
    byte[] policy = r.sized16();
    if (type != Alg.RSA && type != Alg.ECC) {
      throw new VerificationException(
          Failure.UNSUPPORTED, String.format("object type 0x%04x is not RSA or ECC", type));
    }
    int symAlg = r.u16();
    int symBits = 0;
    int symMode = 0;
    if (symAlg != Alg.NULL) {
      symBits = r.u16();
      symMode = r.u16();
    }
    int scheme = r.u16();
    int schemeHash = 0;
    if (scheme != Alg.NULL) {
      schemeHash = r.u16();
      if (scheme == Alg.ECDAA) {
        r.u16(); // count
      }
    }
    int curve = 0;
    byte[] unique;
    int uniqueStart;
    if (type == Alg.RSA) {
      r.u16(); // keyBits; the modulus length is what counts
      r.u32(); // exponent; 0 means 65537
      uniqueStart = r.position();
      r.sized16();
    } else {
      curve = r.u16();
      int kdf = r.u16();
      if (kdf != Alg.NULL) {
        r.u16();
      }
      uniqueStart = r.position();
      r.sized16();
      r.sized16();
    }
    unique = r.consumedSince(uniqueStart);
    r.expectEnd("TPMT_PUBLIC");
    return new TpmPublic(
        type,
        nameAlg,
        attributes,
        policy,
        symAlg,
        symBits,
        symMode,
        scheme,
        schemeHash,
        curve,
        unique,
        area);
  }

  @Override
  public byte[] authPolicy() {
    return authPolicy.clone();
  }

  @Override
  public byte[] unique() {
    return unique.clone();
  }

  @Override
  public byte[] tpmtPublic() {
    return tpmtPublic.clone();
  }

  public boolean isRsa() {
    return type == Alg.RSA;
  }

  public boolean isEcc() {
    return type == Alg.ECC;
  }

  /** The TPM2B_PUBLIC encoding (size prefix + TPMT_PUBLIC). */
  public byte[] toTpm2b() {
    return new TpmWriter().tpm2b(tpmtPublic).toByteArray();
  }

  /** The object's name: nameAlg id followed by the nameAlg digest of the TPMT_PUBLIC. */
  public byte[] name() {
    return new TpmWriter().u16(nameAlg.tpmId()).bytes(nameAlg.digest(tpmtPublic)).toByteArray();
  }

  /** The RSA modulus; fails for ECC keys. */
  public byte[] rsaModulus() throws VerificationException {
    if (!isRsa()) {
      throw new VerificationException(Failure.UNSUPPORTED, "not an RSA key");
    }
    return ByteReader.bigEndian(unique).sized16();
  }

  /** The ECC public point's x coordinate as the TPM holds it. */
  public byte[] eccX() throws VerificationException {
    if (!isEcc()) {
      throw new VerificationException(Failure.UNSUPPORTED, "not an ECC key");
    }
    return ByteReader.bigEndian(unique).sized16();
  }

  /** The ECC public point's y coordinate as the TPM holds it. */
  public byte[] eccY() throws VerificationException {
    ByteReader r = ByteReader.bigEndian(unique);
    eccX();
    r.sized16();
    return r.sized16();
  }

  /**
   * The key as a JCA public key. ECC points are checked to lie on the curve.
   *
   * @throws VerificationException UNSUPPORTED for curves other than NIST P-256/384/521, MALFORMED
   *     for an empty modulus or a point off the curve
   */
  public PublicKey publicKey() throws VerificationException {
    try {
      if (isRsa()) {
        byte[] n = rsaModulus();
        if (n.length == 0) {
          throw new VerificationException(Failure.MALFORMED, "RSA key has no modulus");
        }
        // the exponent field is not kept: TPM keys here use 0, i.e. 65537
        long exp = rsaExponent();
        return KeyFactory.getInstance("RSA")
            .generatePublic(
                new RSAPublicKeySpec(
                    new BigInteger(1, n), BigInteger.valueOf(exp == 0 ? 65537 : exp)));
      }
      ECParameterSpec spec = ecParameters(curve);
      ECPoint w = new ECPoint(new BigInteger(1, eccX()), new BigInteger(1, eccY()));
      if (!onCurve(spec.getCurve(), w)) {
        throw new VerificationException(Failure.MALFORMED, "ECC point is not on the curve");
      }
      return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, spec));
    } catch (GeneralSecurityException e) {
      throw new VerificationException(Failure.MALFORMED, "unusable public key: " + e.getMessage());
    }
  }

  private long rsaExponent() throws VerificationException {
    // exponent sits 4 bytes before the unique field
    ByteReader r = ByteReader.bigEndian(tpmtPublic);
    r.skip(tpmtPublic.length - unique.length - 4);
    return r.u32();
  }

  /** The byte size of a coordinate on {@code curve}. */
  static int coordinateSize(int curve) throws VerificationException {
    return switch (curve) {
      case Alg.ECC_NIST_P256 -> 32;
      case Alg.ECC_NIST_P384 -> 48;
      case Alg.ECC_NIST_P521 -> 66;
      default ->
          throw new VerificationException(
              Failure.UNSUPPORTED, String.format("ECC curve 0x%04x", curve));
    };
  }

  static ECParameterSpec ecParameters(int curve) throws VerificationException {
    String name =
        switch (curve) {
          case Alg.ECC_NIST_P256 -> "secp256r1";
          case Alg.ECC_NIST_P384 -> "secp384r1";
          case Alg.ECC_NIST_P521 -> "secp521r1";
          default ->
              throw new VerificationException(
                  Failure.UNSUPPORTED, String.format("ECC curve 0x%04x", curve));
        };
    try {
      AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
      p.init(new ECGenParameterSpec(name));
      return p.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JDK lacks curve " + name, e);
    }
  }

  static boolean onCurve(EllipticCurve c, ECPoint w) {
    BigInteger p = ((java.security.spec.ECFieldFp) c.getField()).getP();
    BigInteger x = w.getAffineX();
    BigInteger y = w.getAffineY();
    if (x.signum() < 0 || y.signum() < 0 || x.compareTo(p) >= 0 || y.compareTo(p) >= 0) {
      return false;
    }
    BigInteger lhs = y.multiply(y).mod(p);
    BigInteger rhs = x.pow(3).add(c.getA().multiply(x)).add(c.getB()).mod(p);
    return lhs.equals(rhs);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TpmPublic t && Arrays.equals(tpmtPublic, t.tpmtPublic);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(tpmtPublic);
  }

  @Override
  public String toString() {
    return String.format(
        "TpmPublic[type=0x%04x, nameAlg=%s, attributes=0x%08x]",
        type, nameAlg.shortName(), attributes);
  }
}
