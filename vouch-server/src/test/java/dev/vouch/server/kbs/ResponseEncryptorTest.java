package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.crypto.RSADecrypter;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Resources encrypted to a TEE key decrypt the way a Confidential Containers guest decrypts them:
 * guest-components parses the protected header and serializes it again as {@code alg}, {@code enc},
 * {@code epk} ({@code crv, kty, x, y}) to get the additional data, so the header Vouch sends must
 * be exactly that text. The guest side here is written from that rule and RFC 7516/7518 with the
 * JDK alone (ECDH, Concat KDF, AES key wrap, AES-GCM, RSA-OAEP-256); Nimbus, reading the received
 * header as RFC 7516 says, must decrypt it too.
 */
class ResponseEncryptorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder UNB64URL = Base64.getUrlDecoder();
  private static final byte[] SECRET = "a key that decrypts a container image".getBytes();

  @ParameterizedTest
  @ValueSource(strings = {"P-256", "P-384", "P-521"})
  void anEcKeyGuestDecryptsWithTheReserializedHeaderAsAdditionalData(String crv) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec(jcaCurve(crv)));
    KeyPair kp = g.generateKeyPair();
    ECPublicKey pub = (ECPublicKey) kp.getPublic();
    int size = (pub.getParams().getCurve().getField().getFieldSize() + 7) / 8;
    ObjectNode jwk =
        JSON.createObjectNode()
            .put("kty", "EC")
            .put("crv", crv)
            .put("alg", "ECDH-ES+A256KW")
            .put("x", B64URL.encodeToString(fixed(pub.getW().getAffineX(), size)))
            .put("y", B64URL.encodeToString(fixed(pub.getW().getAffineY(), size)));
    JsonNode jwe = JSON.readTree(new ResponseEncryptor().encrypt(SECRET, TeePublicKey.parse(jwk)));

    JsonNode header = JSON.readTree(UNB64URL.decode(jwe.get("protected").asText()));
    JsonNode epk = header.get("epk");
    String guestHeader =
        "{\"alg\":\""
            + header.get("alg").asText()
            + "\",\"enc\":\""
            + header.get("enc").asText()
            + "\",\"epk\":{\"crv\":\""
            + epk.get("crv").asText()
            + "\",\"kty\":\""
            + epk.get("kty").asText()
            + "\",\"x\":\""
            + epk.get("x").asText()
            + "\",\"y\":\""
            + epk.get("y").asText()
            + "\"}}";
    String aad = B64URL.encodeToString(guestHeader.getBytes(StandardCharsets.UTF_8));
    assertThat(jwe.get("protected").asText()).isEqualTo(aad);

    // the guest: ECDH with the sender's ephemeral key, Concat KDF (RFC 7518 4.6), AES key unwrap
    ECPublicKey sender =
        (ECPublicKey)
            KeyFactory.getInstance("EC")
                .generatePublic(
                    new ECPublicKeySpec(
                        new ECPoint(
                            new BigInteger(1, UNB64URL.decode(epk.get("x").asText())),
                            new BigInteger(1, UNB64URL.decode(epk.get("y").asText()))),
                        pub.getParams()));
    KeyAgreement ka = KeyAgreement.getInstance("ECDH");
    ka.init(kp.getPrivate());
    ka.doPhase(sender, true);
    byte[] kek = concatKdf(ka.generateSecret(), "ECDH-ES+A256KW", 256);
    Cipher unwrap = Cipher.getInstance("AESWrap");
    unwrap.init(Cipher.UNWRAP_MODE, new SecretKeySpec(kek, "AES"));
    var cek =
        unwrap.unwrap(UNB64URL.decode(jwe.get("encrypted_key").asText()), "AES", Cipher.SECRET_KEY);
    assertThat(gcmDecrypt(cek.getEncoded(), jwe, aad)).isEqualTo(SECRET);

    JWEObject nimbus = compact(jwe);
    nimbus.decrypt(new ECDHDecrypter((ECPrivateKey) kp.getPrivate()));
    assertThat(nimbus.getPayload().toBytes()).isEqualTo(SECRET);
  }

  @ParameterizedTest
  @ValueSource(ints = {2048, 3072})
  void anRsaKeyGuestDecryptsWithTheReserializedHeaderAsAdditionalData(int bits) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(bits);
    KeyPair kp = g.generateKeyPair();
    RSAPublicKey pub = (RSAPublicKey) kp.getPublic();
    ObjectNode jwk =
        JSON.createObjectNode()
            .put("kty", "RSA")
            .put("alg", "RSA-OAEP-256")
            .put("n", B64URL.encodeToString(unsigned(pub.getModulus())))
            .put("e", B64URL.encodeToString(unsigned(pub.getPublicExponent())));
    JsonNode jwe = JSON.readTree(new ResponseEncryptor().encrypt(SECRET, TeePublicKey.parse(jwk)));

    JsonNode header = JSON.readTree(UNB64URL.decode(jwe.get("protected").asText()));
    String guestHeader =
        "{\"alg\":\""
            + header.get("alg").asText()
            + "\",\"enc\":\""
            + header.get("enc").asText()
            + "\"}";
    String aad = B64URL.encodeToString(guestHeader.getBytes(StandardCharsets.UTF_8));
    assertThat(jwe.get("protected").asText()).isEqualTo(aad);

    Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
    oaep.init(
        Cipher.DECRYPT_MODE,
        (PrivateKey) kp.getPrivate(),
        new OAEPParameterSpec(
            "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
    byte[] cek = oaep.doFinal(UNB64URL.decode(jwe.get("encrypted_key").asText()));
    assertThat(gcmDecrypt(cek, jwe, aad)).isEqualTo(SECRET);

    JWEObject nimbus = compact(jwe);
    nimbus.decrypt(new RSADecrypter((RSAPrivateKey) kp.getPrivate()));
    assertThat(nimbus.getPayload().toBytes()).isEqualTo(SECRET);
  }

  private static byte[] gcmDecrypt(byte[] cek, JsonNode jwe, String aad) throws Exception {
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(
        Cipher.DECRYPT_MODE,
        new SecretKeySpec(cek, "AES"),
        new GCMParameterSpec(128, UNB64URL.decode(jwe.get("iv").asText())));
    gcm.updateAAD(aad.getBytes(StandardCharsets.US_ASCII));
    ByteArrayOutputStream in = new ByteArrayOutputStream();
    in.writeBytes(UNB64URL.decode(jwe.get("ciphertext").asText()));
    in.writeBytes(UNB64URL.decode(jwe.get("tag").asText()));
    return gcm.doFinal(in.toByteArray());
  }

  private static JWEObject compact(JsonNode jwe) throws Exception {
    return JWEObject.parse(
        String.join(
            ".",
            jwe.get("protected").asText(),
            jwe.get("encrypted_key").asText(),
            jwe.get("iv").asText(),
            jwe.get("ciphertext").asText(),
            jwe.get("tag").asText()));
  }

  /** RFC 7518 section 4.6.2 with empty apu and apv, one SHA-256 round per 256 bits. */
  private static byte[] concatKdf(byte[] z, String alg, int bits) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    byte[] algId = alg.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer other = ByteBuffer.allocate(4 + algId.length + 4 + 4 + 4);
    other.putInt(algId.length).put(algId).putInt(0).putInt(0).putInt(bits);
    sha.update(new byte[] {0, 0, 0, 1});
    sha.update(z);
    sha.update(other.array());
    return Arrays.copyOf(sha.digest(), bits / 8);
  }

  private static String jcaCurve(String crv) {
    return switch (crv) {
      case "P-256" -> "secp256r1";
      case "P-384" -> "secp384r1";
      default -> "secp521r1";
    };
  }

  private static byte[] fixed(BigInteger v, int size) {
    byte[] raw = unsigned(v);
    byte[] out = new byte[size];
    System.arraycopy(raw, 0, out, size - raw.length, raw.length);
    return out;
  }

  private static byte[] unsigned(BigInteger v) {
    byte[] b = v.toByteArray();
    return b[0] == 0 && b.length > 1 ? Arrays.copyOfRange(b, 1, b.length) : b;
  }
}
