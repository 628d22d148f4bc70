package dev.vouch.cli.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.image.OciTestImages;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.cli.Main;
import dev.vouch.core.Tee;
import dev.vouch.server.as.AttestationBackend;
import dev.vouch.server.kbs.AdminAuth;
import dev.vouch.server.kbs.InMemoryResourceStore;
import dev.vouch.server.kbs.RealAttestation;
import dev.vouch.server.kbs.ResourcePath;
import dev.vouch.server.kbs.ResourcePolicy;
import io.javalin.Javalin;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17's acceptance for the JWE scheme: skopeo encrypts a generated image to an RSA key, the
 * private key is a KBS resource, and {@code vouch image decrypt --url} with swtpm TPM evidence
 * restores the original layer bytes, which skopeo's own decryption agrees with. A denying resource
 * policy gives exit 1 and writes nothing.
 */
class ImageDecryptKbsTest {
  @TempDir static Path shared;
  static MeasuredTpm tpm;
  static byte[] privPem;
  static OciTestImages.Built original;
  static byte[] kek;
  RealAttestation backend;
  Javalin app;

  @BeforeAll
  static void setUp() throws Exception {
    Swtpm.requireTool("skopeo");
    tpm = MeasuredTpm.start();
    KeyPair kp = OciTestImages.rsaKey();
    OciTestImages.writePem(shared.resolve("priv.pem"), "PRIVATE KEY", kp.getPrivate().getEncoded());
    OciTestImages.writePem(shared.resolve("pub.pem"), "PUBLIC KEY", kp.getPublic().getEncoded());
    privPem = Files.readAllBytes(shared.resolve("priv.pem"));
    original = OciTestImages.build(shared.resolve("src"), "v1", 200_000);
    OciTestImages.run(
        shared,
        List.of(
            "skopeo", "copy", "-q", "--encryption-key", "jwe:pub.pem", "oci:src:v1", "oci:enc:v1"));
    kek = new byte[32];
    new SecureRandom().nextBytes(kek);
    Files.write(shared.resolve("kek.bin"), kek);
    Run enc =
        cli(
            "image",
            "encrypt",
            "--kbs-key",
            "default/image-kek/v1",
            "--key-file",
            shared.resolve("kek.bin").toString(),
            "oci:" + shared.resolve("src") + ":v1",
            "oci:" + shared.resolve("kp") + ":v1");
    assertThat(enc.exit()).as(enc.err()).isZero();
  }

  @AfterAll
  static void stopTpm() {
    if (tpm != null) {
      tpm.close();
    }
  }

  void start(ResourcePolicy policy) {
    backend = new RealAttestation(Clock.systemUTC(), Duration.ofMinutes(5));
    tpm.trustIn(backend);
    InMemoryResourceStore resources = new InMemoryResourceStore();
    resources.put(new ResourcePath("default", "image-key", "v1"), privPem);
    resources.put(new ResourcePath("default", "key", "not-a-key"), "hello".getBytes());
    resources.put(new ResourcePath("default", "image-kek", "v1"), kek);
    app =
        TestKbs.serve(
            Set.of(Tee.TPM),
            Optional.<AttestationBackend>of(backend),
            resources,
            AdminAuth.denyAll(),
            policy);
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.stop();
    }
    if (backend != null) {
      backend.close();
    }
  }

  record Run(int exit, String out, String err) {}

  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(exit, out.toString(), err.toString());
  }

  Run decrypt(String resource, Path dst) {
    return decryptAttested("enc", dst, "--key-resource", resource);
  }

  /** {@code vouch image decrypt --url} with swtpm evidence, plus any extra options. */
  Run decryptAttested(String layout, Path dst, String... extra) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "image",
                "decrypt",
                "--url",
                "http://127.0.0.1:" + app.port(),
                "--tee",
                "tpm",
                "--tpm",
                tpm.tpmOption(),
                "--eventlog",
                MeasuredTpm.LOG.toString(),
                "--ima",
                MeasuredTpm.IMA.toString()));
    args.addAll(List.of(extra));
    args.add("oci:" + shared.resolve(layout) + ":v1");
    args.add("oci:" + dst + ":v1");
    return cli(args.toArray(String[]::new));
  }

  @Test
  void keyProviderLayersDecryptWithTheKekTheKbsReleasesAfterTpmAttestation(@TempDir Path tmp)
      throws Exception {
    start(ResourcePolicy.defaultPolicy());
    Path dst = tmp.resolve("plain");
    Run r = decryptAttested("kp", dst);
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("decrypted 1 layer(s)");
    assertThat(OciTestImages.readBlob(dst, original.layerDigest())).isEqualTo(original.layer());
    assertThat(OciTestImages.manifest(dst).at("/layers/0/digest").asText())
        .isEqualTo(original.layerDigest());
  }

  @Test
  void keyProviderLayersUnderADenyingPolicyExitOneAndWriteNothing(@TempDir Path tmp)
      throws Exception {
    start(
        ResourcePolicy.compile(
            "rules:\n  - name: no_keks\n    category: sourced_data\n    expr: 'false'\n"));
    Path dst = tmp.resolve("plain");
    Run r = decryptAttested("kp", dst);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("403").contains("no_keks");
    try (Stream<Path> s = Files.list(tmp)) {
      assertThat(s.toList()).isEmpty();
    }
  }

  @Test
  void tpmAttestedDecryptionRestoresTheOriginalLayersAndSkopeoAgrees(@TempDir Path tmp)
      throws Exception {
    start(ResourcePolicy.defaultPolicy());
    Path dst = tmp.resolve("plain");
    Run r = decrypt("default/image-key/v1", dst);
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(OciTestImages.readBlob(dst, original.layerDigest())).isEqualTo(original.layer());
    assertThat(OciTestImages.manifest(dst).at("/layers/0/digest").asText())
        .isEqualTo(original.layerDigest());

    OciTestImages.run(
        shared,
        List.of(
            "skopeo",
            "copy",
            "-q",
            "--decryption-key",
            "priv.pem",
            "oci:enc:v1",
            "oci:" + tmp.resolve("by-skopeo") + ":v1"));
    String d = OciTestImages.manifest(tmp.resolve("by-skopeo")).at("/layers/0/digest").asText();
    assertThat(OciTestImages.readBlob(tmp.resolve("by-skopeo"), d))
        .isEqualTo(OciTestImages.readBlob(dst, original.layerDigest()));
  }

  @Test
  void aDenyingResourcePolicyExitsOneAndWritesNothing(@TempDir Path tmp) throws Exception {
    start(
        ResourcePolicy.compile(
            "rules:\n  - name: no_image_keys\n    category: sourced_data\n    expr: 'false'\n"));
    Path dst = tmp.resolve("plain");
    Run r = decrypt("default/image-key/v1", dst);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("403").contains("no_image_keys");
    assertThat(r.out() + r.err()).doesNotContain("PRIVATE KEY");
    assertThat(dst).doesNotExist();
    try (Stream<Path> s = Files.list(tmp)) {
      assertThat(s.toList()).isEmpty();
    }
  }

  @Test
  void aResourceThatIsNotAKeyExitsOneAndWritesNothing(@TempDir Path tmp) {
    start(ResourcePolicy.defaultPolicy());
    Path dst = tmp.resolve("plain");
    Run r = decrypt("default/key/not-a-key", dst);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("not a PEM private key").doesNotContain("hello");
    assertThat(dst).doesNotExist();
  }
}
