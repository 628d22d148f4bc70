package dev.vouch.agent.cdh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import dev.vouch.agent.kbs.KbsException;
import dev.vouch.agent.kbs.ResourceUri;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sealed secrets round trip through {@link SealedSecret}: sealed with a KEK and a signing key, they
 * unseal only with the signer's JWK and the KEK the named resources hold; one changed byte in the
 * payload, the signature, the wrapped key or the data is refused with a stable code.
 */
class SealedSecretTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final ResourceUri KEK_ID = ResourceUri.parse("kbs:///default/sealing/kek");
  static final ResourceUri SIGNER_ID = ResourceUri.parse("kbs:///default/sealing/signer");
  static final byte[] SECRET = "db-password: hunter2".getBytes(StandardCharsets.UTF_8);
  static byte[] kek = new byte[32];
  static KeyPair signer;
  static Map<ResourceUri, byte[]> kbs = new HashMap<>();

  @BeforeAll
  static void keys() throws Exception {
    new SecureRandom().nextBytes(kek);
    signer = p256();
    kbs.put(KEK_ID, kek);
    kbs.put(SIGNER_ID, jwk(signer));
    kbs.put(ResourceUri.parse("kbs:///default/app/password"), SECRET);
  }

  static KeyPair p256() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  static byte[] jwk(KeyPair k) {
    return new ECKey.Builder(Curve.P_256, (ECPublicKey) k.getPublic())
        .build()
        .toJSONString()
        .getBytes(StandardCharsets.UTF_8);
  }

  static String seal() {
    return SealedSecret.sealEnvelope(
        SECRET, KEK_ID, kek, (ECPrivateKey) signer.getPrivate(), SIGNER_ID, new SecureRandom());
  }

  static byte[] unseal(String sealed) throws Exception {
    return SealedSecret.unseal(
        sealed,
        uri -> {
          byte[] v = kbs.get(uri);
          if (v == null) {
            throw new KbsException(404, "ResourceNotFound", uri + " not found");
          }
          return v.clone();
        });
  }

  static void assertRefused(String sealed, Failure expected) {
    VerificationException e = assertThrows(VerificationException.class, () -> unseal(sealed));
    assertEquals(expected, e.failure(), e.toString());
  }

  /** Re-signs an edited payload, as an attacker holding the signing key could not. */
  static String resealed(String sealed, Consumer<ObjectNode> edit) throws Exception {
    String[] p = sealed.substring(7).split("\\.");
    ObjectNode payload = (ObjectNode) JSON.readTree(Base64.getUrlDecoder().decode(p[1]));
    edit.accept(payload);
    return SealedSecret.sign(
        JSON.writeValueAsBytes(payload), (ECPrivateKey) signer.getPrivate(), SIGNER_ID);
  }

  static String flipB64(String b64, int index) {
    byte[] b = Base64.getDecoder().decode(b64);
    b[index] ^= 1;
    return Base64.getEncoder().encodeToString(b);
  }

  @Test
  void aSealedEnvelopeHasCocosShapeAndUnsealsToTheSecret() throws Exception {
    String sealed = seal();
    assertThat(sealed).startsWith("sealed.").doesNotContain("hunter2");
    String[] p = sealed.substring(7).split("\\.");
    assertThat(p).hasSize(3);
    var header = JSON.readTree(Base64.getUrlDecoder().decode(p[0]));
    assertEquals("ES256", header.get("alg").asText());
    assertEquals("kbs:///default/sealing/signer", header.get("kid").asText());
    var payload = JSON.readTree(Base64.getUrlDecoder().decode(p[1]));
    assertThat(payload.fieldNames())
        .toIterable()
        .containsExactlyInAnyOrder(
            "version",
            "type",
            "provider",
            "key_id",
            "encrypted_key",
            "encrypted_data",
            "wrap_type",
            "iv",
            "provider_settings",
            "annotations");
    assertEquals("envelope", payload.get("type").asText());
    assertEquals("kbs:///default/sealing/kek", payload.get("key_id").asText());
    assertThat(unseal(sealed)).isEqualTo(SECRET);
  }

  @Test
  void aVaultSecretNamesTheResourceThatHoldsTheValue() throws Exception {
    String vault =
        SealedSecret.sign(
            ("{\"version\":\"0.1.0\",\"type\":\"vault\",\"name\":\"kbs:///default/app/password\","
                    + "\"provider\":\"kbs\",\"provider_settings\":{},\"annotations\":{}}")
                .getBytes(StandardCharsets.UTF_8),
            (ECPrivateKey) signer.getPrivate(),
            SIGNER_ID);
    assertThat(unseal(vault)).isEqualTo(SECRET);
  }

  @Test
  void aChangedPayloadByteBreaksTheSignature() {
    String sealed = seal();
    int dot = sealed.indexOf('.', 8);
    char c = sealed.charAt(dot + 5);
    String changed =
        sealed.substring(0, dot + 5) + (c == 'A' ? 'B' : 'A') + sealed.substring(dot + 6);
    assertRefused(changed, Failure.SIGNATURE_INVALID);
  }

  @Test
  void aChangedSignatureByteIsRefused() {
    String sealed = seal();
    String[] p = sealed.substring(7).split("\\.");
    byte[] sig = Base64.getUrlDecoder().decode(p[2]);
    sig[10] ^= 1;
    assertRefused(
        "sealed."
            + p[0]
            + "."
            + p[1]
            + "."
            + Base64.getUrlEncoder().withoutPadding().encodeToString(sig),
        Failure.SIGNATURE_INVALID);
  }

  @Test
  void anotherSignerIsRefused() throws Exception {
    String forged =
        SealedSecret.sealEnvelope(
            SECRET, KEK_ID, kek, (ECPrivateKey) p256().getPrivate(), SIGNER_ID, new SecureRandom());
    assertRefused(forged, Failure.SIGNATURE_INVALID);
  }

  @Test
  void aChangedWrappedKeyOrDataIsRefused() throws Exception {
    assertRefused(
        resealed(seal(), p -> p.put("encrypted_key", flipB64(p.get("encrypted_key").asText(), 20))),
        Failure.DECRYPTION_FAILED);
    assertRefused(
        resealed(
            seal(), p -> p.put("encrypted_data", flipB64(p.get("encrypted_data").asText(), 0))),
        Failure.DECRYPTION_FAILED);
    assertRefused(
        resealed(seal(), p -> p.put("iv", flipB64(p.get("iv").asText(), 3))),
        Failure.DECRYPTION_FAILED);
  }

  @Test
  void aWrongKekIsRefused() throws Exception {
    byte[] other = new byte[32];
    ResourceUri otherId = ResourceUri.parse("kbs:///default/sealing/other");
    kbs.put(otherId, other);
    assertRefused(
        resealed(seal(), p -> p.put("key_id", otherId.toString())), Failure.DECRYPTION_FAILED);
  }

  @Test
  void otherAlgorithmsVersionsTypesAndProvidersAreUnsupported() throws Exception {
    String sealed = seal();
    String[] p = sealed.substring(7).split("\\.");
    String none =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                "{\"alg\":\"none\",\"kid\":\"kbs:///default/sealing/signer\"}".getBytes());
    assertRefused("sealed." + none + "." + p[1] + "." + p[2], Failure.UNSUPPORTED);
    assertRefused(resealed(sealed, n -> n.put("version", "0.2.0")), Failure.UNSUPPORTED);
    assertRefused(resealed(sealed, n -> n.put("type", "other")), Failure.UNSUPPORTED);
    assertRefused(resealed(sealed, n -> n.put("provider", "aliyun")), Failure.UNSUPPORTED);
    assertRefused(resealed(sealed, n -> n.put("wrap_type", "A256CTR")), Failure.UNSUPPORTED);
  }

  @Test
  void malformedInputIsRefused() {
    for (String bad :
        List.of(
            "not sealed",
            "sealed.a.b",
            "sealed.a.b.c.d",
            "sealed.!!.b.c",
            "sealed.fakejwsheader.e30.fakesignature")) {
      VerificationException e = assertThrows(VerificationException.class, () -> unseal(bad), bad);
      assertThat(e.failure()).as(bad).isIn(Failure.MALFORMED, Failure.UNSUPPORTED);
    }
  }

  @Test
  void aKbsRefusalIsNotTurnedIntoAValue() {
    String sealed = seal();
    KbsException e =
        assertThrows(
            KbsException.class,
            () ->
                SealedSecret.unseal(
                    sealed,
                    uri -> {
                      throw new KbsException(401, "AttestationFailed", "evidence rejected");
                    }));
    assertThat(e.refused()).isTrue();
  }
}
