package dev.vouch.agent.image;

import static dev.vouch.agent.image.OciTestImages.JSON;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Round trip against the reference implementation: images encrypted by skopeo (ocicrypt's JWE
 * recipient scheme) decrypt to layers byte-identical to the originals, and skopeo's own decryption
 * of the same input agrees. Expected bytes come from the image built before encryption, never from
 * the decryptor.
 */
class ImageDecryptorTest {
  @TempDir static Path shared;
  static Path enc;
  static Path privPem;
  static PrivateKey priv;
  static OciTestImages.Built original;

  @BeforeAll
  static void encryptWithSkopeo() throws Exception {
    Swtpm.requireTool("skopeo");
    KeyPair kp = OciTestImages.rsaKey();
    priv = kp.getPrivate();
    privPem = shared.resolve("priv.pem");
    OciTestImages.writePem(privPem, "PRIVATE KEY", kp.getPrivate().getEncoded());
    OciTestImages.writePem(shared.resolve("pub.pem"), "PUBLIC KEY", kp.getPublic().getEncoded());
    original = OciTestImages.build(shared.resolve("src"), "v1", 300_000);
    OciTestImages.run(
        shared,
        List.of(
            "skopeo", "copy", "-q", "--encryption-key", "jwe:pub.pem", "oci:src:v1", "oci:enc:v1"));
    enc = shared.resolve("enc");
  }

  /** A private copy of the encrypted layout, so that tampering tests do not disturb each other. */
  private static Path encCopy(Path tmp) throws IOException {
    return OciTestImages.copyLayout(enc, tmp.resolve("enc-copy"));
  }

  @Test
  void skopeoEncryptedLayerDecryptsByteIdenticalAndSkopeoAgrees(@TempDir Path tmp)
      throws Exception {
    ObjectNode encManifest = OciTestImages.manifest(enc);
    String encType = encManifest.get("layers").get(0).get("mediaType").asText();
    assertEquals("application/vnd.oci.image.layer.v1.tar+gzip+encrypted", encType);
    String encDigest = encManifest.get("layers").get(0).get("digest").asText();
    assertFalse(
        java.util.Arrays.equals(original.layer(), OciTestImages.readBlob(enc, encDigest)),
        "skopeo did encrypt the layer");

    Path dst = tmp.resolve("plain");
    ImageDecryptor.Result r =
        new ImageDecryptor(List.of(priv))
            .decrypt(OciRef.parse("oci:" + enc + ":v1"), OciRef.parse("oci:" + dst + ":restored"));
    assertEquals(1, r.decryptedLayers());

    ObjectNode m = OciTestImages.manifest(dst);
    var layer = m.get("layers").get(0);
    assertEquals("application/vnd.oci.image.layer.v1.tar+gzip", layer.get("mediaType").asText());
    assertEquals(original.layerDigest(), layer.get("digest").asText());
    assertEquals(original.layer().length, layer.get("size").asLong());
    assertFalse(layer.has("annotations"), "encryption annotations are gone");
    assertArrayEquals(original.layer(), OciTestImages.readBlob(dst, original.layerDigest()));
    assertArrayEquals(
        original.config(), OciTestImages.readBlob(dst, m.get("config").get("digest").asText()));
    assertEquals(
        "restored",
        JSON.readTree(dst.resolve("index.json").toFile())
            .at("/manifests/0/annotations/org.opencontainers.image.ref.name")
            .asText());

    // The reference decryptor, on the same encrypted input, restores the same bytes.
    OciTestImages.run(
        tmp,
        List.of(
            "skopeo",
            "copy",
            "-q",
            "--decryption-key",
            privPem.toString(),
            "oci:" + enc + ":v1",
            "oci:" + tmp.resolve("by-skopeo") + ":v1"));
    ObjectNode sm = OciTestImages.manifest(tmp.resolve("by-skopeo"));
    String sd = sm.get("layers").get(0).get("digest").asText();
    assertEquals(original.layerDigest(), sd);
    assertArrayEquals(
        OciTestImages.readBlob(tmp.resolve("by-skopeo"), sd),
        OciTestImages.readBlob(dst, original.layerDigest()));
  }

  @Test
  void pkcs1KeyFileAlsoDecrypts(@TempDir Path tmp) throws Exception {
    Path pkcs1 = tmp.resolve("pkcs1.pem");
    OciTestImages.run(
        tmp,
        List.of(
            "openssl",
            "pkey",
            "-in",
            privPem.toString(),
            "-traditional",
            "-out",
            pkcs1.toString()));
    assertTrue(Files.readString(pkcs1).contains("BEGIN RSA PRIVATE KEY"));
    Path dst = tmp.resolve("plain");
    new ImageDecryptor(List.of(PrivateKeyFile.read(pkcs1)))
        .decrypt(OciRef.parse("oci:" + enc), OciRef.parse("oci:" + dst));
    assertArrayEquals(original.layer(), OciTestImages.readBlob(dst, original.layerDigest()));
  }

  @Test
  void wrongKeyIsRefusedAndNothingIsWritten(@TempDir Path tmp) throws Exception {
    Path dst = tmp.resolve("plain");
    VerificationException e =
        assertThrows(
            VerificationException.class,
            () ->
                new ImageDecryptor(List.of(OciTestImages.rsaKey().getPrivate()))
                    .decrypt(OciRef.parse("oci:" + enc + ":v1"), OciRef.parse("oci:" + dst)));
    assertEquals(Failure.DECRYPTION_FAILED, e.failure());
    assertNothingWritten(tmp, dst);
  }

  @Test
  void flippedLayerByteIsRefusedEvenWithConsistentDigests(@TempDir Path tmp) throws Exception {
    Path copy = encCopy(tmp);
    ObjectNode m = OciTestImages.manifest(copy);
    ObjectNode layer = (ObjectNode) m.get("layers").get(0);
    byte[] blob = OciTestImages.readBlob(copy, layer.get("digest").asText());
    blob[blob.length / 2] ^= 0x01;
    layer.put("digest", OciTestImages.blob(copy, blob));
    OciTestImages.writeManifest(copy, m, "v1");
    assertRefused(tmp, copy, Failure.SIGNATURE_INVALID);
  }

  @Test
  void flippedLayerByteOnDiskIsRefused(@TempDir Path tmp) throws Exception {
    Path copy = encCopy(tmp);
    String d = OciTestImages.manifest(copy).get("layers").get(0).get("digest").asText();
    Path file = copy.resolve("blobs").resolve(d.replace(':', '/'));
    byte[] blob = Files.readAllBytes(file);
    blob[0] ^= (byte) 0x80;
    Files.write(file, blob);
    assertRefused(tmp, copy, Failure.SIGNATURE_INVALID);
  }

  @Test
  void flippedByteInWrappedKeyAnnotationIsRefused(@TempDir Path tmp) throws Exception {
    Path copy = encCopy(tmp);
    ObjectNode m = OciTestImages.manifest(copy);
    ObjectNode ann = (ObjectNode) m.get("layers").get(0).get("annotations");
    String jwe =
        new String(
            Base64.getDecoder().decode(ann.get(ImageDecryptor.KEYS_JWE).asText()),
            StandardCharsets.UTF_8);
    ObjectNode jweNode = (ObjectNode) JSON.readTree(jwe);
    byte[] ct = Base64.getUrlDecoder().decode(jweNode.get("ciphertext").asText());
    ct[3] ^= 0x01;
    jweNode.put("ciphertext", Base64.getUrlEncoder().withoutPadding().encodeToString(ct));
    ann.put(
        ImageDecryptor.KEYS_JWE,
        Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(jweNode)));
    OciTestImages.writeManifest(copy, m, "v1");
    assertRefused(tmp, copy, Failure.DECRYPTION_FAILED);
  }

  @Test
  void flippedByteInPuboptsHmacIsRefused(@TempDir Path tmp) throws Exception {
    Path copy = encCopy(tmp);
    ObjectNode m = OciTestImages.manifest(copy);
    ObjectNode ann = (ObjectNode) m.get("layers").get(0).get("annotations");
    ObjectNode pub =
        (ObjectNode)
            JSON.readTree(Base64.getDecoder().decode(ann.get(ImageDecryptor.PUBOPTS).asText()));
    byte[] hmac = Base64.getDecoder().decode(pub.get("hmac").asText());
    hmac[0] ^= 0x01;
    pub.put("hmac", Base64.getEncoder().encodeToString(hmac));
    ann.put(
        ImageDecryptor.PUBOPTS, Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(pub)));
    OciTestImages.writeManifest(copy, m, "v1");
    assertRefused(tmp, copy, Failure.SIGNATURE_INVALID);
  }

  @Test
  void rewrappedOptionsRecordingAnotherPlainDigestAreRefused(@TempDir Path tmp) throws Exception {
    // Anyone holding the public key can wrap new options; the HMAC then still verifies, so only
    // the recorded plain-layer digest stands between such an edit and a silently different layer.
    Path copy = encCopy(tmp);
    ObjectNode m = OciTestImages.manifest(copy);
    ObjectNode ann = (ObjectNode) m.get("layers").get(0).get("annotations");
    String jwe =
        new String(
            Base64.getDecoder().decode(ann.get(ImageDecryptor.KEYS_JWE).asText()),
            StandardCharsets.UTF_8);
    ObjectNode opts =
        (ObjectNode) JSON.readTree(JweJson.open(jwe, priv).orElseThrow()); // read with the key
    opts.put("digest", OciTestImages.digest("something else".getBytes(StandardCharsets.UTF_8)));
    com.nimbusds.jose.JWEObject o =
        new com.nimbusds.jose.JWEObject(
            new com.nimbusds.jose.JWEHeader(
                com.nimbusds.jose.JWEAlgorithm.RSA_OAEP_256,
                com.nimbusds.jose.EncryptionMethod.A256GCM),
            new com.nimbusds.jose.Payload(JSON.writeValueAsBytes(opts)));
    java.security.interfaces.RSAPublicKey pub =
        (java.security.interfaces.RSAPublicKey)
            java.security.KeyFactory.getInstance("RSA")
                .generatePublic(
                    new java.security.spec.RSAPublicKeySpec(
                        ((java.security.interfaces.RSAPrivateCrtKey) priv).getModulus(),
                        ((java.security.interfaces.RSAPrivateCrtKey) priv).getPublicExponent()));
    o.encrypt(new com.nimbusds.jose.crypto.RSAEncrypter(pub));
    String[] p = o.serialize().split("\\.");
    ObjectNode flat = JSON.createObjectNode();
    flat.put("protected", p[0]).put("encrypted_key", p[1]).put("iv", p[2]);
    flat.put("ciphertext", p[3]).put("tag", p[4]);
    ann.put(
        ImageDecryptor.KEYS_JWE, Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(flat)));
    OciTestImages.writeManifest(copy, m, "v1");
    assertRefused(tmp, copy, Failure.DIGEST_MISMATCH);
  }

  @Test
  void manifestChangedWithoutIndexIsRefused(@TempDir Path tmp) throws Exception {
    Path copy = encCopy(tmp);
    var index = JSON.readTree(copy.resolve("index.json").toFile());
    String d = index.at("/manifests/0/digest").asText();
    Path file = copy.resolve("blobs").resolve(d.replace(':', '/'));
    String text = Files.readString(file);
    Files.writeString(file, text.replace("\"schemaVersion\":2", "\"schemaVersion\":3"));
    assertRefused(tmp, copy, Failure.DIGEST_MISMATCH);
  }

  @Test
  void nonEmptyDestinationIsBadInputAndLeftAlone(@TempDir Path tmp) throws Exception {
    Path dst = tmp.resolve("plain");
    Files.createDirectories(dst);
    Files.writeString(dst.resolve("keep"), "x");
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new ImageDecryptor(List.of(priv))
                .decrypt(OciRef.parse("oci:" + enc), OciRef.parse("oci:" + dst)));
    assertEquals("x", Files.readString(dst.resolve("keep")));
  }

  @Test
  void twoRecipientsEachDecryptAndAnEcRecipientWorks(@TempDir Path tmp) throws Exception {
    // skopeo wraps for an RSA-OAEP and an ECDH-ES+A256KW recipient in one JWE (general JSON
    // serialization with a recipients array); either private key alone must open it.
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
    g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    KeyPair ec = g.generateKeyPair();
    OciTestImages.writePem(tmp.resolve("ec-pub.pem"), "PUBLIC KEY", ec.getPublic().getEncoded());
    OciTestImages.run(
        tmp,
        List.of(
            "skopeo",
            "copy",
            "-q",
            "--encryption-key",
            "jwe:" + shared.resolve("pub.pem"),
            "--encryption-key",
            "jwe:ec-pub.pem",
            "oci:" + shared.resolve("src") + ":v1",
            "oci:enc2:v1"));
    String jwe =
        new String(
            Base64.getDecoder()
                .decode(
                    OciTestImages.manifest(tmp.resolve("enc2"))
                        .at("/layers/0/annotations")
                        .get(ImageDecryptor.KEYS_JWE)
                        .asText()),
            StandardCharsets.UTF_8);
    assertEquals(2, JSON.readTree(jwe).get("recipients").size(), jwe);
    for (PrivateKey k : List.of(priv, ec.getPrivate())) {
      Path dst = tmp.resolve("plain-" + k.getAlgorithm());
      new ImageDecryptor(List.of(k))
          .decrypt(OciRef.parse("oci:" + tmp.resolve("enc2")), OciRef.parse("oci:" + dst));
      assertArrayEquals(original.layer(), OciTestImages.readBlob(dst, original.layerDigest()));
    }
  }

  @Test
  void aLayerWrappedOnlyForAKeyProviderIsUnsupported(@TempDir Path tmp) throws Exception {
    Path copy = encCopy(tmp);
    ObjectNode m = OciTestImages.manifest(copy);
    ObjectNode ann = (ObjectNode) m.get("layers").get(0).get("annotations");
    ann.put(
        "org.opencontainers.image.enc.keys.provider.attestation-agent",
        ann.get(ImageDecryptor.KEYS_JWE).asText());
    ann.remove(ImageDecryptor.KEYS_JWE);
    OciTestImages.writeManifest(copy, m, "v1");
    assertRefused(tmp, copy, Failure.UNSUPPORTED);
  }

  @Test
  void pubOptsNamingAnotherCipherIsUnsupported(@TempDir Path tmp) throws Exception {
    Path copy = encCopy(tmp);
    ObjectNode m = OciTestImages.manifest(copy);
    ObjectNode ann = (ObjectNode) m.get("layers").get(0).get("annotations");
    ObjectNode pub =
        (ObjectNode)
            JSON.readTree(Base64.getDecoder().decode(ann.get(ImageDecryptor.PUBOPTS).asText()));
    pub.put("cipher", "AES_128_CTR_HMAC_SHA256");
    ann.put(
        ImageDecryptor.PUBOPTS, Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(pub)));
    OciTestImages.writeManifest(copy, m, "v1");
    assertRefused(tmp, copy, Failure.UNSUPPORTED);
  }

  @Test
  void ociRefParsing() {
    assertEquals(
        new OciRef(Path.of("/a/b"), java.util.Optional.of("t")), OciRef.parse("oci:/a/b:t"));
    assertEquals(new OciRef(Path.of("dir"), java.util.Optional.empty()), OciRef.parse("oci:dir"));
    assertThrows(IllegalArgumentException.class, () -> OciRef.parse("docker://x"));
    assertThrows(IllegalArgumentException.class, () -> OciRef.parse("oci:dir:"));
    assertThrows(IllegalArgumentException.class, () -> OciRef.parse("oci:"));
  }

  private static void assertRefused(Path tmp, Path src, Failure expected) throws Exception {
    Path dst = tmp.resolve("plain");
    VerificationException e =
        assertThrows(
            VerificationException.class,
            () ->
                new ImageDecryptor(List.of(priv))
                    .decrypt(OciRef.parse("oci:" + src + ":v1"), OciRef.parse("oci:" + dst)));
    assertEquals(expected, e.failure(), e.toString());
    assertNothingWritten(tmp, dst);
  }

  /** Neither the destination nor a leftover staging directory beside it. */
  private static void assertNothingWritten(Path parent, Path dst) throws IOException {
    assertFalse(Files.exists(dst), "destination must not exist");
    try (Stream<Path> s = Files.list(parent)) {
      assertTrue(
          s.noneMatch(p -> p.getFileName().toString().contains(".partial-")),
          "no staging directory left behind");
    }
  }
}
