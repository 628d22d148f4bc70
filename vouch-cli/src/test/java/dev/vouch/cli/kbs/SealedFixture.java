package dev.vouch.cli.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.image.OciTestImages;
import dev.vouch.cli.Main;
import dev.vouch.server.kbs.InMemoryResourceStore;
import dev.vouch.server.kbs.ResourcePath;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;

/**
 * A secret sealed by {@code vouch secret seal} (KEK {@code kbs:///default/sealing/kek}, signer
 * {@code kbs:///default/sealing/signer}) and the two resources a KBS must hold to unseal it. The
 * files it used stay in the folder: {@code kek}, {@code sign.pem}, {@code sign.pub}, {@code
 * secret}.
 */
public record SealedFixture(byte[] kek, String jwk, String sealed) {
  public record Run(int exit, String out, String err) {}

  public static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(exit, out.toString(), err.toString());
  }

  /** {@code vouch secret seal} of {@code dir/secret} with these files of {@code dir}. */
  public static Run seal(Path dir, String keyId, String kekFile, String signingKey) {
    return cli(
        "secret",
        "seal",
        "--key-id",
        keyId,
        "--key-file",
        dir.resolve(kekFile).toString(),
        "--signing-key",
        dir.resolve(signingKey).toString(),
        "--signing-kid",
        "kbs:///default/sealing/signer",
        "--in",
        dir.resolve("secret").toString());
  }

  public static SealedFixture make(Path dir, String secret) throws Exception {
    byte[] kek = new byte[32];
    new SecureRandom().nextBytes(kek);
    Files.write(dir.resolve("kek"), kek);
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair signer = g.generateKeyPair();
    OciTestImages.writePem(
        dir.resolve("sign.pem"), "PRIVATE KEY", signer.getPrivate().getEncoded());
    OciTestImages.writePem(dir.resolve("sign.pub"), "PUBLIC KEY", signer.getPublic().getEncoded());
    Files.writeString(dir.resolve("secret"), secret);
    Run j = cli("secret", "jwk", dir.resolve("sign.pub").toString());
    assertThat(j.exit()).as(j.err()).isZero();
    String jwk = j.out().strip();
    assertThat(jwk).contains("\"crv\":\"P-256\"").doesNotContain("\"d\"");
    Run s = seal(dir, "kbs:///default/sealing/kek", "kek", "sign.pem");
    assertThat(s.exit()).as(s.err()).isZero();
    String sealed = s.out().strip();
    assertThat(sealed).startsWith("sealed.").doesNotContain(secret);
    return new SealedFixture(kek, jwk, sealed);
  }

  /** Stores the KEK and the signer's JWK where the sealed secret names them. */
  public void addTo(InMemoryResourceStore resources) {
    resources.put(new ResourcePath("default", "sealing", "kek"), kek);
    resources.put(
        new ResourcePath("default", "sealing", "signer"), jwk.getBytes(StandardCharsets.UTF_8));
  }
}
