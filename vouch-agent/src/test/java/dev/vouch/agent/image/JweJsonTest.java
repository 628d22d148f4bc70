package dev.vouch.agent.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.RSAEncrypter;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.interfaces.RSAPublicKey;
import org.junit.jupiter.api.Test;

/** The JWE JSON opener on hand-made inputs: refused algorithms and malformed headers. */
class JweJsonTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final byte[] PLAIN = "{\"symkey\":\"x\"}".getBytes(StandardCharsets.UTF_8);

  /** A compact JWE rewritten as flattened JSON,. */
  static ObjectNode flattened(KeyPair kp, JWEAlgorithm alg) throws Exception {
    JWEObject o = new JWEObject(new JWEHeader(alg, EncryptionMethod.A256GCM), new Payload(PLAIN));
    o.encrypt(new RSAEncrypter((RSAPublicKey) kp.getPublic()));
    String[] p = o.serialize().split("\\.");
    ObjectNode n = JSON.createObjectNode();
    n.put("protected", p[0]).put("encrypted_key", p[1]).put("iv", p[2]);
    n.put("ciphertext", p[3]).put("tag", p[4]);
    return n;
  }

  @Test
  void flattenedRsaOaep256Opens() throws Exception {
    KeyPair kp = OciTestImages.rsaKey();
    String jwe = flattened(kp, JWEAlgorithm.RSA_OAEP_256).toString();
    assertArrayEquals(PLAIN, JweJson.open(jwe, kp.getPrivate()).orElseThrow());
  }

  @Test
  void rsa15IsNotTriedEvenWithTheRightKey() throws Exception {
    KeyPair kp = OciTestImages.rsaKey();
    String jwe = flattened(kp, JWEAlgorithm.RSA1_5).toString();
    assertTrue(JweJson.open(jwe, kp.getPrivate()).isEmpty());
  }

  @Test
  void alteredProtectedHeaderDoesNotOpen() throws Exception {
    KeyPair kp = OciTestImages.rsaKey();
    ObjectNode n = flattened(kp, JWEAlgorithm.RSA_OAEP_256);
    // same header meaning, different bytes: the AAD binds the header as sent
    String changed =
        com.nimbusds.jose.util.Base64URL.encode(
                "{\"enc\":\"A256GCM\", \"alg\":\"RSA-OAEP-256\"}".getBytes(StandardCharsets.UTF_8))
            .toString();
    n.put("protected", changed);
    assertTrue(JweJson.open(n.toString(), kp.getPrivate()).isEmpty());
  }

  @Test
  void aParameterInTwoHeadersIsMalformed() throws Exception {
    KeyPair kp = OciTestImages.rsaKey();
    ObjectNode n = flattened(kp, JWEAlgorithm.RSA_OAEP_256);
    n.putObject("header").put("alg", "RSA-OAEP-256");
    VerificationException e =
        assertThrows(
            VerificationException.class, () -> JweJson.open(n.toString(), kp.getPrivate()));
    assertEquals(Failure.MALFORMED, e.failure());
  }

  @Test
  void missingMembersAndNonJsonAreMalformed() throws Exception {
    KeyPair kp = OciTestImages.rsaKey();
    ObjectNode n = flattened(kp, JWEAlgorithm.RSA_OAEP_256);
    n.remove("tag");
    assertEquals(
        Failure.MALFORMED,
        assertThrows(VerificationException.class, () -> JweJson.open(n.toString(), kp.getPrivate()))
            .failure());
    assertEquals(
        Failure.MALFORMED,
        assertThrows(VerificationException.class, () -> JweJson.open("a.b.c.d.e", kp.getPrivate()))
            .failure());
  }
}
