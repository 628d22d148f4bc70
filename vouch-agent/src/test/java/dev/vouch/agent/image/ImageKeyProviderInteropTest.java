package dev.vouch.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.agent.kbs.ResourceUri;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An independent check of {@code vouch image encrypt}'s key-provider output: no tool here reads
 * that scheme (the Debian skopeo has no key-provider support), so a reader written apart from
 * Vouch, in Python on OpenSSL ({@code src/test/resources/ocicrypt/keyprovider_decrypt.py}), unwraps
 * the layer options with the KEK, checks ocicrypt's HMAC and the recorded plain digest, and must
 * restore the original layer bytes; it refuses a changed wrapped key or another KEK.
 */
class ImageKeyProviderInteropTest {
  static final Path READER = Path.of("src/test/resources/ocicrypt/keyprovider_decrypt.py");
  @TempDir static Path dir;
  static byte[] kek;
  static OciTestImages.Built original;

  @BeforeAll
  static void encrypt() throws Exception {
    requirePythonCryptography();
    kek = new byte[32];
    new SecureRandom().nextBytes(kek);
    Files.write(dir.resolve("kek"), kek);
    original = OciTestImages.build(dir.resolve("src"), "v1", 300_000);
    new ImageEncryptor(ResourceUri.parse("kbs:///default/image-kek/v1"), kek, new SecureRandom())
        .encrypt(
            OciRef.parse("oci:" + dir.resolve("src") + ":v1"),
            OciRef.parse("oci:" + dir.resolve("enc") + ":v1"));
  }

  static void requirePythonCryptography() throws Exception {
    dev.vouch.agent.tpm.Swtpm.requireTool("python3");
    Process p = new ProcessBuilder("python3", "-c", "import cryptography").start();
    if (p.waitFor() != 0) {
      if (Boolean.getBoolean("vouch.require.tools")) {
        fail("python3-cryptography is not installed (run bin/install-test-deps)");
      }
      Assumptions.abort("python3-cryptography is not installed");
    }
  }

  record Result(int exit, String output) {}

  static Result read(Path layout, Path kekFile, Path out) throws IOException, InterruptedException {
    Files.createDirectories(out);
    Process p =
        new ProcessBuilder(
                "python3",
                READER.toString(),
                layout.toString(),
                "v1",
                kekFile.toString(),
                out.toString())
            .redirectErrorStream(true)
            .start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(p.waitFor(), text);
  }

  @Test
  void theIndependentReaderRestoresTheOriginalLayer(@TempDir Path out) throws Exception {
    Result r = read(dir.resolve("enc"), dir.resolve("kek"), out);
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("decrypted 1 layer(s)");
    assertThat(Files.readAllBytes(out.resolve(original.layerDigest().substring(7))))
        .isEqualTo(original.layer());
  }

  @Test
  void theIndependentReaderRefusesAnotherKek(@TempDir Path out) throws Exception {
    byte[] other = kek.clone();
    other[0] ^= 1;
    Path f = Files.write(out.resolve("other-kek"), other);
    Result r = read(dir.resolve("enc"), f, out.resolve("plain"));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.output()).contains("InvalidTag");
  }

  @Test
  void theIndependentReaderRefusesAChangedWrappedKey(@TempDir Path tmp) throws Exception {
    Path copy = OciTestImages.copyLayout(dir.resolve("enc"), tmp.resolve("enc"));
    ObjectNode manifest = OciTestImages.manifest(copy);
    ObjectNode layer = (ObjectNode) manifest.get("layers").get(0);
    ObjectNode ann = (ObjectNode) layer.get("annotations");
    ObjectNode packet =
        (ObjectNode)
            OciTestImages.JSON.readTree(
                Base64.getDecoder().decode(ann.get(KeyProviderPacket.ANNOTATION).asText()));
    byte[] wrapped = Base64.getDecoder().decode(packet.get("wrapped_data").asText());
    wrapped[5] ^= 1;
    packet.put("wrapped_data", Base64.getEncoder().encodeToString(wrapped));
    ann.put(
        KeyProviderPacket.ANNOTATION,
        Base64.getEncoder().encodeToString(OciTestImages.JSON.writeValueAsBytes(packet)));
    OciTestImages.writeManifest(copy, manifest, "v1");
    Result r = read(copy, dir.resolve("kek"), tmp.resolve("plain"));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.output()).contains("InvalidTag");
  }
}
