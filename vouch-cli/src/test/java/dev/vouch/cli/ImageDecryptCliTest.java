package dev.vouch.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.agent.image.OciTestImages;
import dev.vouch.agent.tpm.Swtpm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vouch image decrypt --key-file} on a layout skopeo encrypted: exit 0 and the original
 * layer bytes; exit 1 and nothing written for a wrong key or a flipped layer byte; exit 2 for bad
 * input.
 */
class ImageDecryptCliTest {
  @TempDir static Path shared;
  static OciTestImages.Built original;

  @BeforeAll
  static void encryptWithSkopeo() throws Exception {
    Swtpm.requireTool("skopeo");
    KeyPair kp = OciTestImages.rsaKey();
    OciTestImages.writePem(shared.resolve("priv.pem"), "PRIVATE KEY", kp.getPrivate().getEncoded());
    OciTestImages.writePem(shared.resolve("pub.pem"), "PUBLIC KEY", kp.getPublic().getEncoded());
    OciTestImages.writePem(
        shared.resolve("other.pem"),
        "PRIVATE KEY",
        OciTestImages.rsaKey().getPrivate().getEncoded());
    original = OciTestImages.build(shared.resolve("src"), "v1", 100_000);
    OciTestImages.run(
        shared,
        List.of(
            "skopeo", "copy", "-q", "--encryption-key", "jwe:pub.pem", "oci:src:v1", "oci:enc:v1"));
  }

  private static CliRun decrypt(String key, String src, Path dst) {
    return CliRun.of(
        "image", "decrypt", "--key-file", shared.resolve(key).toString(), src, "oci:" + dst);
  }

  @Test
  void restoresTheOriginalLayer(@TempDir Path tmp) throws Exception {
    Path dst = tmp.resolve("plain");
    CliRun r = decrypt("priv.pem", "oci:" + shared.resolve("enc") + ":v1", dst);
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("decrypted 1 layer(s)"), r.out());
    ObjectNode m = OciTestImages.manifest(dst);
    assertEquals(original.layerDigest(), m.at("/layers/0/digest").asText());
    assertArrayEquals(original.layer(), OciTestImages.readBlob(dst, original.layerDigest()));
  }

  @Test
  void wrongKeyExitsOneAndWritesNothing(@TempDir Path tmp) {
    Path dst = tmp.resolve("plain");
    CliRun r = decrypt("other.pem", "oci:" + shared.resolve("enc"), dst);
    assertEquals(1, r.exit(), r.err());
    assertTrue(r.err().contains("DECRYPTION_FAILED"), r.err());
    assertFalse(Files.exists(dst));
  }

  @Test
  void flippedLayerByteExitsOneAndWritesNothing(@TempDir Path tmp) throws Exception {
    Path copy = tmp.resolve("enc");
    OciTestImages.run(tmp, List.of("cp", "-r", shared.resolve("enc").toString(), copy.toString()));
    String d = OciTestImages.manifest(copy).at("/layers/0/digest").asText();
    Path blob = copy.resolve("blobs").resolve(d.replace(':', '/'));
    byte[] b = Files.readAllBytes(blob);
    b[b.length - 1] ^= 0x40;
    Files.write(blob, b);
    Path dst = tmp.resolve("plain");
    CliRun r = decrypt("priv.pem", "oci:" + copy, dst);
    assertEquals(1, r.exit(), r.err());
    assertTrue(r.err().contains("SIGNATURE_INVALID"), r.err());
    assertFalse(Files.exists(dst));
  }

  @Test
  void badInputExitsTwo(@TempDir Path tmp) throws Exception {
    Path dst = tmp.resolve("plain");
    String enc = "oci:" + shared.resolve("enc");
    assertEquals(2, CliRun.of("image", "decrypt", enc, "oci:" + dst).exit(), "no key source");
    assertEquals(2, decrypt("priv.pem", "docker://busybox", dst).exit(), "not an oci: reference");
    assertEquals(2, decrypt("pub.pem", enc, dst).exit(), "a public key is not a private key");
    assertEquals(2, decrypt("priv.pem", "oci:" + tmp.resolve("missing"), dst).exit());
    assertEquals(2, decrypt("priv.pem", enc + ":nosuchtag", dst).exit(), "unknown tag");
    Files.createDirectories(dst);
    Files.writeString(dst.resolve("keep"), "x");
    assertEquals(2, decrypt("priv.pem", enc, dst).exit(), "destination not empty");
    assertEquals("x", Files.readString(dst.resolve("keep")));
    assertFalse(Files.exists(tmp.resolve("missing")));
  }
}
