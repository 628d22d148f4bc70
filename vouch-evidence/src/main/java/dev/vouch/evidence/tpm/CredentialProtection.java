package dev.vouch.evidence.tpm;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.HashAlg;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;

/**
 * The verifier's half of credential activation (TPM 2.0 Part 1, "Protected Storage" and "Credential
 * Protection"; Part 3 TPM2_MakeCredential), done in software: protects a secret so that only the
 * TPM holding the given EK, with an object of the given name loaded, can recover it with
 * TPM2_ActivateCredential.
 *
 * <p>A random seed is encrypted to the EK (RSA-OAEP with label "IDENTITY" for RSA EKs; ephemeral
 * ECDH and KDFe for ECC EKs). From the seed KDFa derives an AES key (label "STORAGE", bound to the
 * object name) that encrypts the secret in CFB mode, and an HMAC key (label "INTEGRITY") for the
 * outer integrity HMAC over the ciphertext and the name.
 */
public final class CredentialProtection {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int AES_BLOCK = 16;

  private CredentialProtection() {}

  /**
   * A protected credential.
   *
   * @param idObject contents of the TPM2B_ID_OBJECT: TPM2B integrity HMAC, then the encrypted
   *     TPM2B_DIGEST secret
   * @param encryptedSecret contents of the TPM2B_ENCRYPTED_SECRET: the RSA-OAEP ciphertext of the
   *     seed, or the ephemeral ECC point (TPMS_ECC_POINT)
   */
  public record Credential(byte[] idObject, byte[] encryptedSecret) {
    public Credential {
      idObject = idObject.clone();
      encryptedSecret = encryptedSecret.clone();
    }

    @Override
    public byte[] idObject() {
      return idObject.clone();
    }

    @Override
    public byte[] encryptedSecret() {
      return encryptedSecret.clone();
    }
  }

  /**
   * Protects {@code secret} for the TPM whose EK is {@code ekPublic} and the object named {@code
   * objectName} (normally an AK).
   *
   * @param ekPublic the EK's TPM2B_PUBLIC
   * @param objectName the object's name (nameAlg id + digest)
   * @param secret at most the EK name algorithm's digest size
   * @throws VerificationException MALFORMED for an unreadable EK, a bad name or secret size;
   *     UNSUPPORTED for an EK that is not a restricted decryption key with AES-CFB
   */
  public static Credential makeCredential(byte[] ekPublic, byte[] objectName, byte[] secret)
      throws VerificationException {
    TpmPublic ek = TpmPublic.fromTpm2b(ekPublic);
    checkName(objectName);
    HashAlg h = ek.nameAlg();
    if (secret.length == 0 || secret.length > h.size()) {
      throw new VerificationException(
          Failure.MALFORMED,
          "credential secret of " + secret.length + " bytes; 1.." + h.size() + " allowed");
    }
    if (!ek.hasAttribute(TpmPublic.RESTRICTED) || !ek.hasAttribute(TpmPublic.DECRYPT)) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "the EK is not a restricted decryption key");
    }
    TpmPublic.SymDef sym =
        switch (ek.parameters()) {
          case TpmPublic.RsaParameters p -> p.symmetric();
          case TpmPublic.EccParameters p -> p.symmetric();
          default ->
              throw new VerificationException(
                  Failure.UNSUPPORTED, "the EK is a " + ek.type() + " object, not RSA or ECC");
        };
    if (sym.algorithm() != TpmAlg.AES
        || sym.mode() != TpmAlg.CFB
        || (sym.keyBits() != 128 && sym.keyBits() != 192 && sym.keyBits() != 256)) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "the EK's symmetric algorithm is not AES-CFB");
    }
    if (h == HashAlg.SM3_256) {
      throw new VerificationException(Failure.UNSUPPORTED, "EK name algorithm SM3");
    }
    byte[] seed;
    byte[] encryptedSecret;
    if (ek.parameters() instanceof TpmPublic.RsaParameters) {
      seed = random(h.size());
      encryptedSecret = rsaOaep(ek, seed);
    } else {
      byte[][] seedAndPoint = eccSeed(ek);
      seed = seedAndPoint[0];
      encryptedSecret = seedAndPoint[1];
    }
    byte[] symKey = kdfa(h, seed, "STORAGE", objectName, new byte[0], sym.keyBits());
    byte[] encIdentity = aesCfb(symKey, tpm2b(secret));
    byte[] hmacKey = kdfa(h, seed, "INTEGRITY", new byte[0], new byte[0], h.size() * 8);
    byte[] outerHmac = hmac(h, hmacKey, encIdentity, objectName);
    byte[] idObject = concat(tpm2b(outerHmac), encIdentity);
    Arrays.fill(seed, (byte) 0);
    return new Credential(idObject, encryptedSecret);
  }

  /**
   * What a TPM's ActivateCredential does, in software: recovers the secret of a credential made for
   * the EK whose private key is {@code ekPrivate}, checking the integrity HMAC over the object's
   * name. For simulated TPMs (load generators, tests); a real TPM never releases its EK.
   *
   * @param ekPublic the EK's TPM2B_PUBLIC, as given to {@link #makeCredential}
   * @throws VerificationException SIGNATURE_INVALID when the credential was not made for this EK
   *     and name (TPM_RC_INTEGRITY); MALFORMED for a credential that does not parse
   */
  public static byte[] activate(
      Credential credential, java.security.PrivateKey ekPrivate, byte[] ekPublic, byte[] objectName)
      throws VerificationException {
    TpmPublic ek = TpmPublic.fromTpm2b(ekPublic);
    HashAlg h = ek.nameAlg();
    try {
      byte[] seed;
      if (ek.parameters() instanceof TpmPublic.RsaParameters) {
        Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
        oaep.init(
            Cipher.DECRYPT_MODE,
            ekPrivate,
            new OAEPParameterSpec(
                h.jcaName(),
                "MGF1",
                new MGF1ParameterSpec(h.jcaName()),
                new PSource.PSpecified(label("IDENTITY"))));
        seed = oaep.doFinal(credential.encryptedSecret());
      } else {
        java.security.spec.ECParameterSpec curve =
            ((java.security.interfaces.ECPrivateKey) ekPrivate).getParams();
        int size = (curve.getCurve().getField().getFieldSize() + 7) / 8;
        ByteReader r = ByteReader.bigEndian(credential.encryptedSecret());
        byte[] x = r.sized16();
        byte[] y = r.sized16();
        PublicKey ephemeral =
            java.security.KeyFactory.getInstance("EC")
                .generatePublic(
                    new java.security.spec.ECPublicKeySpec(
                        new java.security.spec.ECPoint(new BigInteger(1, x), new BigInteger(1, y)),
                        curve));
        KeyAgreement ka = KeyAgreement.getInstance("ECDH");
        ka.init(ekPrivate);
        ka.doPhase(ephemeral, true);
        byte[] z = fixed(new BigInteger(1, ka.generateSecret()), size);
        byte[] ekX = fixed(new BigInteger(1, ((TpmPublic.EccPoint) ek.unique()).x()), size);
        seed = kdfe(h, z, "IDENTITY", x, ekX, h.size() * 8);
      }
      ByteReader id = ByteReader.bigEndian(credential.idObject());
      byte[] integrity = id.sized16();
      byte[] encIdentity = id.bytes(id.remaining());
      byte[] hmacKey = kdfa(h, seed, "INTEGRITY", new byte[0], new byte[0], h.size() * 8);
      if (!Crypto.constantTimeEquals(hmac(h, hmacKey, encIdentity, objectName), integrity)) {
        throw new VerificationException(
            Failure.SIGNATURE_INVALID,
            "TPM_RC_INTEGRITY: the credential is for another EK or name");
      }
      int keyBits =
          switch (ek.parameters()) {
            case TpmPublic.RsaParameters p -> p.symmetric().keyBits();
            case TpmPublic.EccParameters p -> p.symmetric().keyBits();
            default -> throw new VerificationException(Failure.UNSUPPORTED, "EK type " + ek.type());
          };
      Cipher aes = Cipher.getInstance("AES/CFB/NoPadding");
      aes.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(kdfa(h, seed, "STORAGE", objectName, new byte[0], keyBits), "AES"),
          new IvParameterSpec(new byte[AES_BLOCK]));
      return ByteReader.bigEndian(aes.doFinal(encIdentity)).sized16();
    } catch (GeneralSecurityException e) {
      throw new VerificationException(Failure.MALFORMED, "credential: " + e.getMessage());
    }
  }

  private static void checkName(byte[] name) throws VerificationException {
    ByteReader r = ByteReader.bigEndian(name);
    int alg = r.u16();
    HashAlg h =
        HashAlg.fromTpmId(alg)
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.MALFORMED, String.format("object name algorithm 0x%04x", alg)));
    if (r.remaining() != h.size()) {
      throw new VerificationException(
          Failure.MALFORMED, "object name has " + r.remaining() + " digest bytes");
    }
  }

  private static byte[] rsaOaep(TpmPublic ek, byte[] seed) throws VerificationException {
    PublicKey key = ek.toPublicKey();
    HashAlg h = ek.nameAlg();
    try {
      Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
      c.init(
          Cipher.ENCRYPT_MODE,
          key,
          new OAEPParameterSpec(
              h.jcaName(),
              "MGF1",
              new MGF1ParameterSpec(h.jcaName()),
              new PSource.PSpecified(label("IDENTITY"))),
          RANDOM);
      return c.doFinal(seed);
    } catch (GeneralSecurityException e) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "RSA-OAEP with " + h.jcaName() + ": " + e.getMessage());
    }
  }

  /** Ephemeral ECDH with the EK; returns {seed, marshalled TPMS_ECC_POINT}. */
  private static byte[][] eccSeed(TpmPublic ek) throws VerificationException {
    HashAlg h = ek.nameAlg();
    TpmPublic.EccParameters params = (TpmPublic.EccParameters) ek.parameters();
    EccCurve curve =
        params
            .curve()
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.UNSUPPORTED, String.format("ECC curve 0x%04x", params.curveId())));
    int size = curve.coordinateSize();
    // toPublicKey checks that the point lies on the curve, so no invalid-curve point is used
    PublicKey ekKey = ek.toPublicKey();
    TpmPublic.EccPoint ekPoint = (TpmPublic.EccPoint) ek.unique();
    try {
      // BouncyCastle throughout: the EK key is a BC key, and the JDK's ECDH wants its own
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC", Crypto.bouncyCastle());
      g.initialize(new ECGenParameterSpec(curve.stdName()), RANDOM);
      KeyPair eph = g.generateKeyPair();
      KeyAgreement ka = KeyAgreement.getInstance("ECDH", Crypto.bouncyCastle());
      ka.init(eph.getPrivate());
      ka.doPhase(ekKey, true);
      byte[] z = fixed(new BigInteger(1, ka.generateSecret()), size);
      java.security.interfaces.ECPublicKey ephPub =
          (java.security.interfaces.ECPublicKey) eph.getPublic();
      byte[] ephX = fixed(ephPub.getW().getAffineX(), size);
      byte[] ephY = fixed(ephPub.getW().getAffineY(), size);
      byte[] ekX = fixed(new BigInteger(1, ekPoint.x()), size);
      byte[] seed = kdfe(h, z, "IDENTITY", ephX, ekX, h.size() * 8);
      Arrays.fill(z, (byte) 0);
      byte[] point = concat(tpm2b(ephX), tpm2b(ephY));
      return new byte[][] {seed, point};
    } catch (GeneralSecurityException e) {
      throw new VerificationException(Failure.UNSUPPORTED, "ECDH with the EK: " + e.getMessage());
    }
  }

  private static byte[] tpm2b(byte[] v) {
    byte[] out = new byte[v.length + 2];
    out[0] = (byte) (v.length >>> 8);
    out[1] = (byte) v.length;
    System.arraycopy(v, 0, out, 2, v.length);
    return out;
  }

  private static byte[] be32(int v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** A big-endian unsigned integer padded or trimmed to exactly {@code size} bytes. */
  private static byte[] fixed(BigInteger v, int size) {
    byte[] b = v.toByteArray();
    if (b.length == size) {
      return b;
    }
    byte[] out = new byte[size];
    if (b.length > size) {
      System.arraycopy(b, b.length - size, out, 0, size);
    } else {
      System.arraycopy(b, 0, out, size - b.length, b.length);
    }
    return out;
  }

  /** A KDF label: the ASCII string with its terminating zero, as the TPM uses it. */
  private static byte[] label(String s) {
    byte[] a = s.getBytes(StandardCharsets.US_ASCII);
    return Arrays.copyOf(a, a.length + 1);
  }

  /**
   * KDFa (SP 800-108 counter mode with HMAC): {@code bits} of key material from {@code key}. Each
   * block is HMAC(key, counter || label || 0 || contextU || contextV || bits).
   */
  static byte[] kdfa(
      HashAlg h, byte[] key, String label, byte[] contextU, byte[] contextV, int bits) {
    int bytes = (bits + 7) / 8;
    byte[] out = new byte[bytes];
    byte[] lbl = label(label);
    try {
      Mac mac = Mac.getInstance(hmacName(h));
      mac.init(new SecretKeySpec(key, mac.getAlgorithm()));
      int done = 0;
      for (int counter = 1; done < bytes; counter++) {
        mac.update(be32(counter));
        mac.update(lbl);
        mac.update(contextU);
        mac.update(contextV);
        mac.update(be32(bits));
        byte[] block = mac.doFinal();
        int n = Math.min(block.length, bytes - done);
        System.arraycopy(block, 0, out, done, n);
        done += n;
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JCA lacks " + hmacName(h), e);
    }
    return out;
  }

  /**
   * KDFe (SP 800-56A concatenation KDF): {@code bits} of key material from the ECDH shared value
   * {@code z}. Each block is H(counter || z || label || 0 || partyU || partyV).
   */
  static byte[] kdfe(HashAlg h, byte[] z, String label, byte[] partyU, byte[] partyV, int bits) {
    int bytes = (bits + 7) / 8;
    byte[] out = new byte[bytes];
    byte[] lbl = label(label);
    int done = 0;
    for (int counter = 1; done < bytes; counter++) {
      var md = h.newDigest();
      md.update(be32(counter));
      md.update(z);
      md.update(lbl);
      md.update(partyU);
      md.update(partyV);
      byte[] block = md.digest();
      int n = Math.min(block.length, bytes - done);
      System.arraycopy(block, 0, out, done, n);
      done += n;
    }
    return out;
  }

  private static byte[] aesCfb(byte[] key, byte[] plain) {
    try {
      Cipher c = Cipher.getInstance("AES/CFB/NoPadding");
      // the TPM uses a zero IV here: each key is used for exactly one message
      c.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(key, "AES"),
          new IvParameterSpec(new byte[AES_BLOCK]));
      return c.doFinal(plain);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JCA lacks AES-CFB", e);
    }
  }

  private static byte[] hmac(HashAlg h, byte[] key, byte[]... parts) {
    try {
      Mac mac = Mac.getInstance(hmacName(h));
      mac.init(new SecretKeySpec(key, mac.getAlgorithm()));
      for (byte[] p : parts) {
        mac.update(p);
      }
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JCA lacks " + hmacName(h), e);
    }
  }

  private static String hmacName(HashAlg h) {
    return "Hmac" + h.jcaName().replace("-", "");
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }
}
