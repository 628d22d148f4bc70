package dev.vouch.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code dir:} image signed by upstream skopeo's {@code --sign-by-sigstore-private-key}
 * (vectors/skopeo-sigstore, see PROVENANCE.md): the signature was made by containers/image, not by
 * this project, so acceptance here is interoperability, and every refusal is a change to those
 * bytes.
 */
class SkopeoSigstoreVectorTest {
  static final Path VECTOR = Path.of("src/test/resources/vectors/skopeo-sigstore");
  static final String REF = "quay.io/vouch/demo:v1";
  static final String MANIFEST_DIGEST =
      "sha256:b5dced3a3ec3f8ef0d7ad4fc3ccf12b403159e9c86dc3860acf64f1fab96dba8";

  @TempDir Path tmp;

  static SignaturePolicy policy(String keyFile, String identity) throws Exception {
    return SignaturePolicy.parse(
        ("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"quay.io/vouch\":"
                + "[{\"type\":\"sigstoreSigned\",\"keyPath\":\"%s\",\"signedIdentity\":%s}]}}}")
            .formatted(VECTOR.resolve(keyFile).toAbsolutePath(), identity)
            .getBytes(StandardCharsets.UTF_8));
  }

  static ImageSignatureVerifier.Accepted verify(Path image, String keyFile, String ref)
      throws Exception {
    return new ImageSignatureVerifier(
            policy(keyFile, "{\"type\":\"matchRepoDigestOrExact\"}"),
            k -> Files.readAllBytes(Path.of(k)))
        .verify(SignedImage.parse("dir:" + image), DockerReference.parse(ref));
  }

  static Failure refused(Path image, String keyFile, String ref) {
    return assertThrows(VerificationException.class, () -> verify(image, keyFile, ref)).failure();
  }

  Path copy() throws Exception {
    Path d = Files.createDirectories(tmp.resolve("image"));
    try (Stream<Path> files = Files.list(VECTOR.resolve("signed"))) {
      for (Path f : files.toList()) {
        Files.copy(f, d.resolve(f.getFileName()));
      }
    }
    return d;
  }

  @Test
  void skopeosSignatureIsAcceptedUnderItsKey() throws Exception {
    ImageSignatureVerifier.Accepted a = verify(VECTOR.resolve("signed"), "key.pub", REF);
    assertThat(a.manifestDigest()).isEqualTo(MANIFEST_DIGEST);
    assertThat(a.rules()).containsExactly("sigstoreSigned");
  }

  @Test
  void anotherKeyIsRefused() {
    assertThat(refused(VECTOR.resolve("signed"), "other.pub", REF))
        .isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void aManifestChangedAfterSigningIsRefused() throws Exception {
    Path d = copy();
    String m = Files.readString(d.resolve("manifest.json"));
    Files.writeString(d.resolve("manifest.json"), m.replace("\"size\":150", "\"size\":151"));
    assertThat(refused(d, "key.pub", REF)).isEqualTo(Failure.DIGEST_MISMATCH);
  }

  @Test
  void anotherImageNameIsRefused() {
    assertThat(refused(VECTOR.resolve("signed"), "key.pub", "quay.io/vouch/other:v1"))
        .isEqualTo(Failure.IDENTITY_MISMATCH);
  }

  @Test
  void aFlippedBitInThePayloadOrTheSignatureIsRefused() throws Exception {
    byte[] blob = Files.readAllBytes(VECTOR.resolve("signed/signature-1"));
    String text = new String(blob, StandardCharsets.ISO_8859_1);
    int payload = text.indexOf("\"payload\":\"") + "\"payload\":\"".length();
    int signature = text.indexOf("cosign/signature\":\"") + "cosign/signature\":\"".length();
    for (int at : new int[] {payload + 20, signature + 10}) {
      Path d = copy();
      byte[] b = blob.clone();
      // one base64 character to another: different decoded bits, still valid base64
      b[at] = (byte) (b[at] == 'A' ? 'B' : 'A');
      Files.write(d.resolve("signature-1"), b);
      assertThat(refused(d, "key.pub", REF)).as("at " + at).isEqualTo(Failure.SIGNATURE_INVALID);
      try (Stream<Path> files = Files.walk(d)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  @Test
  void aMissingTruncatedOrForeignSignatureFileIsRefused() throws Exception {
    Path d = copy();
    Files.delete(d.resolve("signature-1"));
    assertThat(refused(d, "key.pub", REF)).isEqualTo(Failure.SIGNATURE_MISSING);
    byte[] blob = Files.readAllBytes(VECTOR.resolve("signed/signature-1"));
    Files.write(d.resolve("signature-1"), Arrays.copyOf(blob, blob.length / 2));
    assertThat(refused(d, "key.pub", REF)).isEqualTo(Failure.MALFORMED);
    // a simple-signing (OpenPGP) file is not a sigstore signature
    Files.write(d.resolve("signature-1"), new byte[] {(byte) 0xA3, 1, 2, 3});
    assertThat(refused(d, "key.pub", REF)).isEqualTo(Failure.SIGNATURE_MISSING);
  }

  @Test
  void aSecondGoodSignatureAfterABrokenOneStillCounts() throws Exception {
    Path d = copy();
    Files.copy(d.resolve("signature-1"), d.resolve("signature-2"));
    Files.write(d.resolve("signature-1"), "\0sigstore-json\n{\"mimeType\":1}".getBytes());
    assertThat(verify(d, "key.pub", REF).manifestDigest()).isEqualTo(MANIFEST_DIGEST);
  }
}
