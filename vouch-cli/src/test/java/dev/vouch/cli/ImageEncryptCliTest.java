package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.agent.image.OciTestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vouch image encrypt} (the coco keyprovider side) and {@code vouch image decrypt
 * --kek-file} offline: a round trip restores the original layer bytes; a wrong KEK or a changed
 * wrapped key exits 1 with nothing written; bad input exits 2.
 */
class ImageEncryptCliTest {
  @TempDir static Path shared;
  static OciTestImages.Built original;

  @BeforeAll
  static void build() throws Exception {
    original = OciTestImages.build(shared.resolve("src"), "v1", 120_000);
    byte[] kek = new byte[32];
    new SecureRandom().nextBytes(kek);
    Files.write(shared.resolve("kek"), kek);
    kek[31] ^= 1;
    Files.write(shared.resolve("other-kek"), kek);
    Files.write(shared.resolve("short-kek"), new byte[16]);
    CliRun r = encrypt("kek", shared.resolve("enc"));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("encrypted 1 layer(s) for kbs:///default/image-kek/v1");
  }

  static CliRun encrypt(String kek, Path dst) {
    return CliRun.of(
        "image",
        "encrypt",
        "--kbs-key",
        "default/image-kek/v1",
        "--key-file",
        shared.resolve(kek).toString(),
        "oci:" + shared.resolve("src") + ":v1",
        "oci:" + dst + ":v1");
  }

  static CliRun decrypt(String kek, Path src, Path dst) {
    return CliRun.of(
        "image",
        "decrypt",
        "--kek-file",
        shared.resolve(kek).toString(),
        "oci:" + src + ":v1",
        "oci:" + dst);
  }

  @Test
  void encryptThenDecryptRestoresTheOriginalLayer(@TempDir Path tmp) throws Exception {
    Path dst = tmp.resolve("plain");
    CliRun r = decrypt("kek", shared.resolve("enc"), dst);
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("decrypted 1 layer(s)");
    assertThat(OciTestImages.readBlob(dst, original.layerDigest())).isEqualTo(original.layer());
  }

  @Test
  void aWrongKekExitsOneAndWritesNothing(@TempDir Path tmp) {
    Path dst = tmp.resolve("plain");
    CliRun r = decrypt("other-kek", shared.resolve("enc"), dst);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("DECRYPTION_FAILED");
    assertThat(dst).doesNotExist();
  }

  @Test
  void aChangedWrappedKeyExitsOneAndWritesNothing(@TempDir Path tmp) throws Exception {
    Path copy = tmp.resolve("enc");
    OciTestImages.run(
        tmp, java.util.List.of("cp", "-r", shared.resolve("enc").toString(), copy.toString()));
    ObjectNode m = OciTestImages.manifest(copy);
    ObjectNode ann = (ObjectNode) m.at("/layers/0/annotations");
    String name = "org.opencontainers.image.enc.keys.provider.attestation-agent";
    ObjectNode packet =
        (ObjectNode)
            OciTestImages.JSON.readTree(Base64.getDecoder().decode(ann.get(name).asText()));
    byte[] wrapped = Base64.getDecoder().decode(packet.get("wrapped_data").asText());
    wrapped[wrapped.length - 1] ^= 0x02;
    packet.put("wrapped_data", Base64.getEncoder().encodeToString(wrapped));
    ann.put(name, Base64.getEncoder().encodeToString(OciTestImages.JSON.writeValueAsBytes(packet)));
    OciTestImages.writeManifest(copy, m, "v1");
    Path dst = tmp.resolve("plain");
    CliRun r = decrypt("kek", copy, dst);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("DECRYPTION_FAILED");
    assertThat(dst).doesNotExist();
  }

  @Test
  void badInputExitsTwo(@TempDir Path tmp) throws Exception {
    Path dst = tmp.resolve("out");
    assertThat(encrypt("short-kek", dst).exit()).as("a KEK is 32 bytes").isEqualTo(2);
    assertThat(encrypt("missing-kek", dst).exit()).isEqualTo(2);
    CliRun badName =
        CliRun.of(
            "image",
            "encrypt",
            "--kbs-key",
            "default/../x",
            "--key-file",
            shared.resolve("kek").toString(),
            "oci:" + shared.resolve("src"),
            "oci:" + dst);
    assertThat(badName.exit()).isEqualTo(2);
    Files.createDirectories(dst);
    Files.writeString(dst.resolve("keep"), "x");
    assertThat(encrypt("kek", dst).exit()).as("destination not empty").isEqualTo(2);
    assertThat(Files.readString(dst.resolve("keep"))).isEqualTo("x");
    assertThat(
            CliRun.of("image", "decrypt", "oci:" + shared.resolve("enc"), "oci:" + tmp.resolve("p"))
                .exit())
        .as("no key source")
        .isEqualTo(2);
    assertThat(decrypt("short-kek", shared.resolve("enc"), tmp.resolve("p")).exit()).isEqualTo(2);
    assertThat(tmp.resolve("p")).doesNotExist();
  }
}
