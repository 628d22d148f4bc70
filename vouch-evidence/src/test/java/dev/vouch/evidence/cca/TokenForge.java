package dev.vouch.evidence.cca;

import static dev.vouch.evidence.cca.CborWriter.map;

import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.HashAlg;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Builds CCA tokens signed with fresh keys, for the cases no real vector covers (a RAK the platform
 * did not vouch for, a COSE_Key RAK, other algorithms). Claims mirror the real tokens' shapes;
 * tests change one thing at a time.
 */
final class TokenForge {
  final KeyPair iak;
  final KeyPair rak;

  TokenForge() {
    this(EcCurve.P384, EcCurve.P384);
  }

  TokenForge(EcCurve iakCurve, EcCurve rakCurve) {
    iak = generate(iakCurve);
    rak = generate(rakCurve);
  }

  static KeyPair generate(EcCurve curve) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec(curve.jcaName()));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] point(KeyPair kp) {
    ECPublicKey k = (ECPublicKey) kp.getPublic();
    int n = (k.getParams().getCurve().getField().getFieldSize() + 7) / 8;
    byte[] out = new byte[1 + 2 * n];
    out[0] = 4;
    put(k.getW().getAffineX(), out, 1, n);
    put(k.getW().getAffineY(), out, 1 + n, n);
    return out;
  }

  private static void put(BigInteger v, byte[] out, int off, int n) {
    byte[] b = v.toByteArray();
    int skip = b.length > n ? b.length - n : 0;
    System.arraycopy(b, skip, out, off + n - (b.length - skip), b.length - skip);
  }

  EcKey iakKey() throws Exception {
    return EcKey.fromUncompressedPoint(point(iak));
  }

  byte[] rakClaim() {
    return point(rak);
  }

  Map<Object, Object> platformClaims(byte[] challenge) {
    byte[] instance = new byte[33];
    instance[0] = 1;
    return map(
        265,
        "tag:arm.com,2023:cca_platform#1.0.0",
        10,
        challenge,
        2396,
        filled(32, 0x7f),
        256,
        instance,
        2401,
        new byte[] {1, 2, 3},
        2395,
        0x3000,
        2399,
        List.of(map(1, "RMM", 2, filled(32, 0xaa), 5, filled(32, 0xbb), 6, "sha-256")),
        2400,
        "https://verifier.example",
        2402,
        "sha-256");
  }

  Map<Object, Object> realmClaims(byte[] challenge, byte[] rakClaim) {
    byte[] zero64 = new byte[64];
    return map(
        10,
        challenge,
        44235,
        zero64,
        44236,
        "sha-512",
        44237,
        rakClaim,
        44238,
        filled(64, 0x11),
        44239,
        List.of(zero64, zero64, zero64, zero64),
        44240,
        "sha-256");
  }

  /** A token whose platform challenge is the SHA-256 of the RAK claim, as it should be. */
  byte[] token(byte[] realmChallenge) {
    byte[] rakClaim = rakClaim();
    return token(
        platformClaims(HashAlg.SHA256.digest(rakClaim)), realmClaims(realmChallenge, rakClaim));
  }

  byte[] token(Map<Object, Object> platform, Map<Object, Object> realm) {
    return collection(
        sign1(CoseAlgorithm.ES384, iak.getPrivate(), CborWriter.encode(platform)),
        sign1(CoseAlgorithm.ES384, rak.getPrivate(), CborWriter.encode(realm)));
  }

  static byte[] collection(byte[] platformCose, byte[] realmCose) {
    return CborWriter.encode(new CborWriter.Tag(399, map(44234, platformCose, 44241, realmCose)));
  }

  static byte[] sign1(CoseAlgorithm alg, PrivateKey key, byte[] payload) {
    byte[] prot = CborWriter.encode(map(1, alg.id()));
    return sign1(alg, key, prot, map(), payload, true);
  }

  static byte[] sign1(
      CoseAlgorithm alg,
      PrivateKey key,
      byte[] protectedHeader,
      Map<Object, Object> unprotected,
      byte[] payload,
      boolean tagged) {
    byte[] tbs = CborWriter.encode(List.of("Signature1", protectedHeader, new byte[0], payload));
    byte[] sig = signRaw(alg, key, tbs);
    List<Object> msg = List.of(protectedHeader, unprotected, payload, sig);
    return CborWriter.encode(tagged ? new CborWriter.Tag(18, msg) : msg);
  }

  static byte[] signRaw(CoseAlgorithm alg, PrivateKey key, byte[] message) {
    try {
      Signature s =
          Signature.getInstance(
              "SHA" + alg.scheme().hash().size() * 8 + "withPLAIN-ECDSA", Crypto.bouncyCastle());
      s.initSign(key);
      s.update(message);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) value);
    return b;
  }
}
