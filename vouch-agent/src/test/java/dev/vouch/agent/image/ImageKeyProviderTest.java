package dev.vouch.agent.image;

import static dev.vouch.agent.image.OciTestImages.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.agent.kbs.ResourceUri;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Confidential Containers key-provider scheme end to end in the library: {@link ImageEncryptor}
 * writes what coco keyprovider writes, {@link ImageDecryptor#withKeks} restores layers
 * byte-identical to the image built before encryption, and one changed byte anywhere (the wrapped
 * key, its IV, the layer, the HMAC) is refused with a stable code and nothing written.
 */
class ImageKeyProviderTest {
  static final ResourceUri KID = ResourceUri.parse("kbs:///default/image-kek/v1");
  @TempDir static Path shared;
  static byte[] kek;
  static OciTestImages.Built original;
  static Path enc;

  @BeforeAll
  static void encrypt() throws Exception {
    kek = new byte[32];
    new SecureRandom().nextBytes(kek);
    original = OciTestImages.build(shared.resolve("src"), "v1", 250_000);
    enc = shared.resolve("enc");
    ImageEncryptor.Result r =
        new ImageEncryptor(KID, kek, new SecureRandom())
            .encrypt(
                OciRef.parse("oci:" + shared.resolve("src") + ":v1"),
                OciRef.parse("oci:" + enc + ":v1"));
    assertEquals(1, r.encryptedLayers());
  }

  static ImageDecryptor withKek(byte[] key) {
    return ImageDecryptor.withKeks(kid -> Optional.ofNullable(Map.of(KID, key).get(kid)));
  }

  @Test
  void encryptedLayoutCarriesTheCocoAnnotationAndRoundTripsByteIdentical(@TempDir Path tmp)
      throws Exception {
    ObjectNode layer = (ObjectNode) OciTestImages.manifest(enc).get("layers").get(0);
    assertEquals(
        "application/vnd.oci.image.layer.v1.tar+gzip+encrypted", layer.get("mediaType").asText());
    byte[] encBlob = OciTestImages.readBlob(enc, layer.get("digest").asText());
    assertEquals(original.layer().length, encBlob.length, "AES-CTR keeps the length");
    assertThat(encBlob).isNotEqualTo(original.layer());
    ObjectNode packet =
        (ObjectNode)
            JSON.readTree(
                Base64.getDecoder()
                    .decode(layer.at("/annotations").get(KeyProviderPacket.ANNOTATION).asText()));
    assertThat(packet.fieldNames())
        .toIterable()
        .containsExactlyInAnyOrder("kid", "wrapped_data", "iv", "wrap_type");
    assertEquals("kbs:///default/image-kek/v1", packet.get("kid").asText());
    assertEquals("A256GCM", packet.get("wrap_type").asText());
    assertEquals(12, Base64.getDecoder().decode(packet.get("iv").asText()).length);
    assertEquals(
        List.of(KID), List.copyOf(ImageDecryptor.keyProviderKids(OciRef.parse("oci:" + enc))));

    Path dst = tmp.resolve("plain");
    ImageDecryptor.Result r =
        withKek(kek).decrypt(OciRef.parse("oci:" + enc + ":v1"), OciRef.parse("oci:" + dst));
    assertEquals(1, r.decryptedLayers());
    ObjectNode m = OciTestImages.manifest(dst);
    assertEquals(original.layerDigest(), m.at("/layers/0/digest").asText());
    assertEquals(
        "application/vnd.oci.image.layer.v1.tar+gzip", m.at("/layers/0/mediaType").asText());
    assertThat(m.get("layers").get(0).has("annotations")).isFalse();
    assertThat(OciTestImages.readBlob(dst, original.layerDigest())).isEqualTo(original.layer());
    assertThat(OciTestImages.readBlob(dst, m.at("/config/digest").asText()))
        .isEqualTo(original.config());
  }

  @Test
  void wrongKekIsRefused(@TempDir Path tmp) throws Exception {
    byte[] other = kek.clone();
    other[0] ^= 1;
    assertRefused(tmp, enc, withKek(other), Failure.DECRYPTION_FAILED);
  }

  @Test
  void aKidWithoutAKekIsRefused(@TempDir Path tmp) throws Exception {
    assertRefused(
        tmp, enc, ImageDecryptor.withKeks(kid -> Optional.empty()), Failure.DECRYPTION_FAILED);
  }

  @Test
  void aResourceThatIsNotA32ByteKeyIsRefused(@TempDir Path tmp) throws Exception {
    assertRefused(
        tmp,
        enc,
        ImageDecryptor.withKeks(kid -> Optional.of("hello".getBytes())),
        Failure.MALFORMED);
  }

  @Test
  void flippedByteInWrappedKeyIsRefused(@TempDir Path tmp) throws Exception {
    Path copy =
        editPacket(tmp, p -> p.put("wrapped_data", flip(p.get("wrapped_data").asText(), 5)));
    assertRefused(tmp, copy, withKek(kek), Failure.DECRYPTION_FAILED);
  }

  @Test
  void flippedByteInIvIsRefused(@TempDir Path tmp) throws Exception {
    Path copy = editPacket(tmp, p -> p.put("iv", flip(p.get("iv").asText(), 0)));
    assertRefused(tmp, copy, withKek(kek), Failure.DECRYPTION_FAILED);
  }

  @Test
  void aKidNamingAnotherResourceIsRefused(@TempDir Path tmp) throws Exception {
    Path copy = editPacket(tmp, p -> p.put("kid", "kbs:///default/image-kek/v2"));
    assertRefused(tmp, copy, withKek(kek), Failure.DECRYPTION_FAILED);
  }

  @Test
  void aCtrWrapTypeIsUnsupported(@TempDir Path tmp) throws Exception {
    Path copy = editPacket(tmp, p -> p.put("wrap_type", "A256CTR"));
    assertRefused(tmp, copy, withKek(kek), Failure.UNSUPPORTED);
  }

  @Test
  void aPacketForAnotherProviderIsUnsupported(@TempDir Path tmp) throws Exception {
    Path copy = editPacket(tmp, p -> p.put("version", "0.1.0").put("provider", "aliyun"));
    assertRefused(tmp, copy, withKek(kek), Failure.UNSUPPORTED);
  }

  @Test
  void theDataHubsLaterPacketFormDecrypts(@TempDir Path tmp) throws Exception {
    Path copy =
        editPacket(
            tmp,
            p -> {
              p.put("version", "0.1.0").put("provider", "kbs");
              p.putObject("provider_settings");
              p.putObject("annotations");
            });
    Path dst = tmp.resolve("plain");
    withKek(kek).decrypt(OciRef.parse("oci:" + copy), OciRef.parse("oci:" + dst));
    assertThat(OciTestImages.readBlob(dst, original.layerDigest())).isEqualTo(original.layer());
  }

  @Test
  void anUnknownPacketFieldIsMalformed(@TempDir Path tmp) throws Exception {
    Path copy = editPacket(tmp, p -> p.put("wrapped_key", "x"));
    assertRefused(tmp, copy, withKek(kek), Failure.MALFORMED);
  }

  @Test
  void flippedLayerByteIsRefusedEvenWithConsistentDigests(@TempDir Path tmp) throws Exception {
    Path copy = copyOf(tmp);
    ObjectNode m = OciTestImages.manifest(copy);
    ObjectNode layer = (ObjectNode) m.get("layers").get(0);
    byte[] blob = OciTestImages.readBlob(copy, layer.get("digest").asText());
    blob[blob.length / 3] ^= 0x10;
    layer.put("digest", OciTestImages.blob(copy, blob));
    OciTestImages.writeManifest(copy, m, "v1");
    assertRefused(tmp, copy, withKek(kek), Failure.SIGNATURE_INVALID);
  }

  @Test
  void flippedLayerByteOnDiskIsRefused(@TempDir Path tmp) throws Exception {
    Path copy = copyOf(tmp);
    String d = OciTestImages.manifest(copy).at("/layers/0/digest").asText();
    Path file = copy.resolve("blobs").resolve(d.replace(':', '/'));
    byte[] blob = Files.readAllBytes(file);
    blob[7] ^= 0x01;
    Files.write(file, blob);
    assertRefused(tmp, copy, withKek(kek), Failure.SIGNATURE_INVALID);
  }

  @Test
  void flippedByteInPuboptsHmacIsRefused(@TempDir Path tmp) throws Exception {
    Path copy = copyOf(tmp);
    ObjectNode m = OciTestImages.manifest(copy);
    ObjectNode ann = (ObjectNode) m.at("/layers/0/annotations");
    ObjectNode pub =
        (ObjectNode)
            JSON.readTree(Base64.getDecoder().decode(ann.get(ImageDecryptor.PUBOPTS).asText()));
    pub.put("hmac", flip(pub.get("hmac").asText(), 31));
    ann.put(
        ImageDecryptor.PUBOPTS, Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(pub)));
    OciTestImages.writeManifest(copy, m, "v1");
    assertRefused(tmp, copy, withKek(kek), Failure.SIGNATURE_INVALID);
  }

  @Test
  void encryptingAnEncryptedLayoutIsRefused(@TempDir Path tmp) {
    Path dst = tmp.resolve("twice");
    VerificationException e =
        assertThrows(
            VerificationException.class,
            () ->
                new ImageEncryptor(KID, kek, new SecureRandom())
                    .encrypt(OciRef.parse("oci:" + enc), OciRef.parse("oci:" + dst)));
    assertEquals(Failure.UNSUPPORTED, e.failure());
    assertThat(dst).doesNotExist();
  }

  @Test
  void resourceUrisParseOnlyTheCocoForm() {
    assertEquals(new ResourceUri("", "a", "b", "c"), ResourceUri.parse("kbs:///a/b/c"));
    assertEquals(
        new ResourceUri("kbs.example:8080", "a", "b", "c"),
        ResourceUri.parse("kbs://kbs.example:8080/a/b/c"));
    for (String bad :
        List.of("kbs:///a/b", "kbs:///a/b/c/d", "http:///a/b/c", "kbs:///a/../c", "kbs:///a/b/")) {
      assertThrows(IllegalArgumentException.class, () -> ResourceUri.parse(bad), bad);
    }
  }

  private static String flip(String b64, int index) {
    byte[] b = Base64.getDecoder().decode(b64);
    b[index] ^= 0x01;
    return Base64.getEncoder().encodeToString(b);
  }

  /** A copy of the encrypted layout whose packet was edited, digests kept consistent. */
  private static Path editPacket(Path tmp, Consumer<ObjectNode> edit) throws Exception {
    Path copy = copyOf(tmp);
    ObjectNode m = OciTestImages.manifest(copy);
    ObjectNode ann = (ObjectNode) m.at("/layers/0/annotations");
    ObjectNode p =
        (ObjectNode)
            JSON.readTree(
                Base64.getDecoder().decode(ann.get(KeyProviderPacket.ANNOTATION).asText()));
    edit.accept(p);
    ann.put(
        KeyProviderPacket.ANNOTATION,
        Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(p)));
    OciTestImages.writeManifest(copy, m, "v1");
    return copy;
  }

  private static Path copyOf(Path tmp) throws Exception {
    Path copy = tmp.resolve("enc-copy");
    OciTestImages.run(tmp, List.of("cp", "-r", enc.toString(), copy.toString()));
    return copy;
  }

  private static void assertRefused(Path tmp, Path src, ImageDecryptor d, Failure expected)
      throws Exception {
    Path dst = tmp.resolve("plain");
    VerificationException e =
        assertThrows(
            VerificationException.class,
            () -> d.decrypt(OciRef.parse("oci:" + src), OciRef.parse("oci:" + dst)));
    assertEquals(expected, e.failure(), e.toString());
    assertThat(dst).doesNotExist();
    try (Stream<Path> s = Files.list(tmp)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".partial-"));
    }
  }
}
