package dev.vouch.server.kbs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEEncrypter;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDHEncrypter;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import dev.vouch.core.crypto.Crypto;

/**
 * Encrypts a resource to a TEE key as Trustee's KBS does: a flattened JWE JSON document ({@code
 * protected, encrypted_key, iv, ciphertext, tag}, base64url without padding), content encrypted
 * with A256GCM under a fresh key, that key wrapped with ECDH-ES+A256KW (EC keys, ephemeral sender
 * key in the protected header's {@code epk}) or RSA-OAEP-256 (RSA keys). The AAD is the encoded
 * protected header, as RFC 7516 defines it. Thread-safe.
 */
public final class ResponseEncryptor {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Encrypts {@code plaintext}.
   *
   * @return the flattened JWE JSON text
   */
  public String encrypt(byte[] plaintext, TeePublicKey key) throws KbsError {
    try {
      JWEEncrypter encrypter =
          switch (key.jwk()) {
            case ECKey ec -> {
              ECDHEncrypter e = new ECDHEncrypter(ec);
              // BouncyCastle's ephemeral key generation and ECDH are several times the JDK's here
              e.getJCAContext().setKeyEncryptionProvider(Crypto.bouncyCastle());
              yield e;
            }
            case RSAKey rsa -> new RSAEncrypter(rsa);
            default -> throw new KbsError(KbsError.Kind.JweError, "unsupported TEE key type");
          };
      JWEObject jwe =
          new JWEObject(
              new JWEHeader.Builder(key.algorithm(), EncryptionMethod.A256GCM).build(),
              new Payload(plaintext));
      jwe.encrypt(encrypter);
      // without unprotected headers or AAD the flattened form carries the compact form's parts
      ObjectNode out = JSON.createObjectNode();
      out.put("protected", jwe.getHeader().toBase64URL().toString());
      out.put("encrypted_key", jwe.getEncryptedKey().toString());
      out.put("iv", jwe.getIV().toString());
      out.put("ciphertext", jwe.getCipherText().toString());
      out.put("tag", jwe.getAuthTag().toString());
      return JSON.writeValueAsString(out);
    } catch (JOSEException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new KbsError(KbsError.Kind.JweError, "cannot encrypt to the TEE key");
    }
  }
}
