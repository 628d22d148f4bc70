package dev.vouch.evidence.cca;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.Crypto;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.nist.NISTNamedCurves;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.jce.ECNamedCurveTable;
import org.bouncycastle.jce.spec.ECNamedCurveParameterSpec;
import org.bouncycastle.jce.spec.ECPublicKeySpec;
import org.bouncycastle.math.ec.ECPoint;

/**
 * An elliptic-curve public key on a NIST curve, checked to lie on its curve, with its uncompressed
 * point kept for hashing and comparison. Built from the encodings attestation tokens and their
 * anchors use: raw points, COSE_Key, JWK coordinates and X.509 SubjectPublicKeyInfo.
 */
public record EcKey(EcCurve curve, PublicKey publicKey, byte[] point) {

  public EcKey {
    point = point.clone();
  }

  @Override
  public byte[] point() {
    return point.clone();
  }

  /** Same curve and point. */
  public boolean sameKey(EcKey other) {
    return curve == other.curve && Arrays.equals(point, other.point);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EcKey k && sameKey(k);
  }

  @Override
  public int hashCode() {
    return 31 * curve.hashCode() + Arrays.hashCode(point);
  }

  @Override
  public String toString() {
    return "EcKey[" + curve.jwkName() + "]";
  }

  /** An uncompressed SEC 1 point {@code 04||x||y}; the curve follows from the length. */
  public static EcKey fromUncompressedPoint(byte[] point) throws VerificationException {
    EcCurve curve =
        EcCurve.forUncompressedLength(point.length)
            .filter(c -> point[0] == 0x04)
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.MALFORMED,
                        "a "
                            + point.length
                            + "-byte EC point is not an uncompressed P-256/384/521 point"));
    return fromPoint(curve, point);
  }

  /** Affine coordinates, each exactly the curve's field size. */
  public static EcKey fromCoordinates(EcCurve curve, byte[] x, byte[] y)
      throws VerificationException {
    if (x.length != curve.fieldBytes() || y.length != curve.fieldBytes()) {
      throw new VerificationException(
          Failure.MALFORMED,
          curve.jwkName() + " coordinates must be " + curve.fieldBytes() + " bytes each");
    }
    byte[] point = new byte[1 + 2 * curve.fieldBytes()];
    point[0] = 0x04;
    System.arraycopy(x, 0, point, 1, x.length);
    System.arraycopy(y, 0, point, 1 + x.length, y.length);
    return fromPoint(curve, point);
  }

  /**
   * A COSE_Key (RFC 9053 §7.1.1): {@code kty} 2 (EC2), {@code crv} 1..3, {@code x} and {@code y}
   * byte strings. Compressed points ({@code y} a boolean) are refused.
   */
  public static EcKey fromCoseKey(CborValue.Map key) throws VerificationException {
    long kty = key.require(1, "COSE_Key kty").asLong("COSE_Key kty");
    if (kty != 2) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "COSE_Key kty " + kty + " is not EC2 (2)");
    }
    long crv = key.require(-1, "COSE_Key crv").asLong("COSE_Key crv");
    EcCurve curve =
        EcCurve.fromCoseId(crv)
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.UNSUPPORTED, "COSE_Key curve " + crv + " is not supported"));
    return fromCoordinates(
        curve,
        key.require(-2, "COSE_Key x").asBytes("COSE_Key x"),
        key.require(-3, "COSE_Key y").asBytes("COSE_Key y"));
  }

  /** JWK members {@code crv}, {@code x}, {@code y} (base64url) of an {@code EC} key. */
  public static EcKey fromJwk(String kty, String crv, String x, String y)
      throws VerificationException {
    if (!"EC".equals(kty)) {
      throw new VerificationException(Failure.UNSUPPORTED, "JWK kty " + kty + " is not EC");
    }
    EcCurve curve =
        EcCurve.fromJwkName(String.valueOf(crv))
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.UNSUPPORTED, "JWK curve " + crv + " is not supported"));
    if (x == null || y == null) {
      throw new VerificationException(Failure.MALFORMED, "JWK lacks x or y");
    }
    try {
      Base64.Decoder d = Base64.getUrlDecoder();
      return fromCoordinates(curve, d.decode(x), d.decode(y));
    } catch (IllegalArgumentException e) {
      throw new VerificationException(Failure.MALFORMED, "JWK x or y is not base64url", e);
    }
  }

  /** A DER SubjectPublicKeyInfo of an EC key on a named NIST curve. */
  public static EcKey fromSpki(byte[] der) throws VerificationException {
    SubjectPublicKeyInfo spki;
    try {
      spki = SubjectPublicKeyInfo.getInstance(der);
    } catch (RuntimeException e) {
      throw new VerificationException(Failure.MALFORMED, "not a SubjectPublicKeyInfo", e);
    }
    if (spki == null
        || !X9ObjectIdentifiers.id_ecPublicKey.equals(spki.getAlgorithm().getAlgorithm())
        || !(spki.getAlgorithm().getParameters() instanceof ASN1ObjectIdentifier oid)) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "the public key is not an EC key on a named curve");
    }
    String name = NISTNamedCurves.getName(oid);
    EcCurve curve = null;
    for (EcCurve c : EcCurve.values()) {
      if (c.jwkName().equals(name)) {
        curve = c;
      }
    }
    if (curve == null) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "EC curve " + oid + " is not P-256, P-384 or P-521");
    }
    byte[] point = spki.getPublicKeyData().getBytes();
    if (point.length != 1 + 2 * curve.fieldBytes() || point[0] != 0x04) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "only uncompressed EC points are accepted");
    }
    return fromPoint(curve, point);
  }

  private static EcKey fromPoint(EcCurve curve, byte[] point) throws VerificationException {
    ECNamedCurveParameterSpec spec = ECNamedCurveTable.getParameterSpec(curve.jcaName());
    ECPoint p;
    try {
      int n = curve.fieldBytes();
      BigInteger x = new BigInteger(1, Arrays.copyOfRange(point, 1, 1 + n));
      BigInteger y = new BigInteger(1, Arrays.copyOfRange(point, 1 + n, 1 + 2 * n));
      // validatePoint refuses coordinates off the curve (or beyond the field): an invalid-curve
      // key must never reach the signature check
      p = spec.getCurve().validatePoint(x, y);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new VerificationException(
          Failure.MALFORMED, "the " + curve.jwkName() + " point is not on the curve", e);
    }
    try {
      PublicKey key =
          KeyFactory.getInstance("EC", Crypto.bouncyCastle())
              .generatePublic(new ECPublicKeySpec(p, spec));
      return new EcKey(curve, key, point);
    } catch (GeneralSecurityException e) {
      throw new VerificationException(
          Failure.MALFORMED, "the " + curve.jwkName() + " key is not usable", e);
    }
  }
}
