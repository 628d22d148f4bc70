package dev.vouch.server.kbs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.crypto.impl.AESGCM;
import com.nimbusds.jose.crypto.impl.AESKW;
import com.nimbusds.jose.crypto.impl.AuthenticatedCipherText;
import com.nimbusds.jose.crypto.impl.ConcatKDF;
import com.nimbusds.jose.crypto.impl.ECDH;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.Container;
import dev.vouch.core.crypto.Crypto;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts a resource to a TEE key as Trustee's KBS does: a flattened JWE JSON document ({@code
 * protected, encrypted_key, iv, ciphertext, tag}, base64url without padding), content encrypted
 * with A256GCM under a fresh key, that key wrapped with ECDH-ES+A256KW (EC keys, ephemeral sender
 * key in the protected header's {@code epk}) or RSA-OAEP-256 (RSA keys).
 *
 * <p>The protected header is written with its members in the order {@code alg}, {@code enc}, {@code
 * epk} ({@code crv}, {@code kty}, {@code x}, {@code y}), because guest-components does not use the
 * received {@code protected} string as the additional data: it parses the header into a struct and
 * serializes it again, which comes out in that order. Any other order authenticates for an RFC 7516
 * client but fails in every Confidential Containers guest. Thread-safe.
 */
public final class ResponseEncryptor {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * Encrypts {@code plaintext}.
   *
   * @return the flattened JWE JSON text
   */
  public String encrypt(byte[] plaintext, TeePublicKey key) throws KbsError {
    try {
      Parts parts =
          switch (key.jwk()) {
            case ECKey ec -> ecdhEs(plaintext, ec);
            case RSAKey rsa -> rsaOaep(plaintext, rsa);
            default -> throw new KbsError(KbsError.Kind.JweError, "unsupported TEE key type");
          };
      ObjectNode out = JSON.createObjectNode();
      out.put("protected", parts.header().toString());
      out.put("encrypted_key", parts.encryptedKey().toString());
      out.put("iv", parts.iv().toString());
      out.put("ciphertext", parts.ciphertext().toString());
      out.put("tag", parts.tag().toString());
      return JSON.writeValueAsString(out);
    } catch (JOSEException
        | GeneralSecurityException
        | java.text.ParseException
        | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new KbsError(KbsError.Kind.JweError, "cannot encrypt to the TEE key");
    }
  }

  private record Parts(
      Base64URL header,
      Base64URL encryptedKey,
      Base64URL iv,
      Base64URL ciphertext,
      Base64URL tag) {}

  private static Parts ecdhEs(byte[] plaintext, ECKey tee)
      throws JOSEException, GeneralSecurityException, java.text.ParseException {
    ECPublicKey teeKey = tee.toECPublicKey();
    // BouncyCastle's ephemeral key generation and ECDH are several times the JDK's here
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC", Crypto.bouncyCastle());
    gen.initialize(teeKey.getParams(), RANDOM);
    KeyPair eph = gen.generateKeyPair();
    ECKey epk = new ECKey.Builder(tee.getCurve(), (ECPublicKey) eph.getPublic()).build();
    String headerJson =
        "{\"alg\":\""
            + JWEAlgorithm.ECDH_ES_A256KW.getName()
            + "\",\"enc\":\""
            + EncryptionMethod.A256GCM.getName()
            + "\",\"epk\":{\"crv\":\""
            + curveName(tee.getCurve())
            + "\",\"kty\":\"EC\",\"x\":\""
            + epk.getX()
            + "\",\"y\":\""
            + epk.getY()
            + "\"}}";
    Base64URL encoded = Base64URL.encode(headerJson.getBytes(StandardCharsets.UTF_8));
    JWEHeader header = JWEHeader.parse(encoded);
    SecretKey z = ECDH.deriveSharedSecret(teeKey, eph.getPrivate(), Crypto.bouncyCastle());
    SecretKey kek = ECDH.deriveSharedKey(header, z, new ConcatKDF("SHA-256"));
    byte[] cekBytes = new byte[32];
    RANDOM.nextBytes(cekBytes);
    SecretKey cek = new SecretKeySpec(cekBytes, "AES");
    byte[] wrapped = AESKW.wrapCEK(cek, kek, null);
    Container<byte[]> iv = new Container<>(AESGCM.generateIV(RANDOM));
    AuthenticatedCipherText ct =
        AESGCM.encrypt(
            cek, iv, plaintext, encoded.toString().getBytes(StandardCharsets.US_ASCII), null);
    return new Parts(
        encoded,
        Base64URL.encode(wrapped),
        Base64URL.encode(iv.get()),
        Base64URL.encode(ct.getCipherText()),
        Base64URL.encode(ct.getAuthenticationTag()));
  }

  private static String curveName(Curve c) throws JOSEException {
    if (c.equals(Curve.P_256) || c.equals(Curve.P_384) || c.equals(Curve.P_521)) {
      return c.getName();
    }
    throw new JOSEException("unsupported curve " + c);
  }

  private static Parts rsaOaep(byte[] plaintext, RSAKey tee)
      throws JOSEException, java.text.ParseException {
    String headerJson =
        "{\"alg\":\""
            + JWEAlgorithm.RSA_OAEP_256.getName()
            + "\",\"enc\":\""
            + EncryptionMethod.A256GCM.getName()
            + "\"}";
    // a parsed header keeps its original encoding, which Nimbus then uses as the additional data
    JWEHeader header =
        JWEHeader.parse(Base64URL.encode(headerJson.getBytes(StandardCharsets.UTF_8)));
    JWEObject jwe = new JWEObject(header, new Payload(plaintext));
    jwe.encrypt(new RSAEncrypter(tee));
    return new Parts(
        jwe.getHeader().toBase64URL(),
        jwe.getEncryptedKey(),
        jwe.getIV(),
        jwe.getCipherText(),
        jwe.getAuthTag());
  }
}
