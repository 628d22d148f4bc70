package dev.vouch.cli;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import dev.vouch.agent.cdh.SealedSecret;
import dev.vouch.agent.image.PrivateKeyFile;
import dev.vouch.agent.kbs.ResourceUri;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vouch secret ...}: Confidential Containers sealed secrets. {@code seal} makes one that a
 * guest's data hub unseals after attestation; {@code jwk} turns the signer's public key into the
 * JWK the KBS must hold under the signing kid.
 */
@Command(
    name = "secret",
    description = "Confidential Containers sealed secrets (sealed. + JWS).",
    subcommands = {SecretCommand.Seal.class, SecretCommand.Jwk.class})
final class SecretCommand extends CommandGroup {
  /** A secret is for a workload, not a disk image: the data hub takes at most this much. */
  private static final int MAX_SECRET = 128 * 1024;

  /**
   * {@code vouch secret seal --key-id kbs:///R/T/T --key-file KEK --signing-key PEM --signing-kid
   * kbs:///R/T/T [--in FILE]}: prints the sealed secret. Exit 0 done; 2 bad input.
   */
  @Command(
      name = "seal",
      mixinStandardHelpOptions = true,
      description =
          "Seal a secret as an envelope: a data key encrypts it, the KBS-held KEK wraps the data"
              + " key, ES256 signs it.")
  static final class Seal implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--key-id",
        required = true,
        paramLabel = "kbs:///REPO/TYPE/TAG",
        description = "KBS resource holding the 32-byte key-encryption key.")
    String keyId;

    @Option(
        names = "--key-file",
        required = true,
        paramLabel = "KEK",
        description = "The 32-byte key-encryption key (raw bytes), the value of --key-id.")
    Path keyFile;

    @Option(
        names = "--signing-key",
        required = true,
        paramLabel = "PEM",
        description = "EC P-256 private key (PKCS#8 PEM) that signs the secret (ES256).")
    Path signingKey;

    @Option(
        names = "--signing-kid",
        required = true,
        paramLabel = "kbs:///REPO/TYPE/TAG",
        description = "KBS resource holding the signer's public JWK (see 'vouch secret jwk').")
    String signingKid;

    @Option(
        names = "--in",
        paramLabel = "FILE",
        description = "The secret value (default: standard input).")
    Path in;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      byte[] secret = null;
      byte[] kek = null;
      try {
        ResourceUri kid = ResourceUri.parse(keyId);
        ResourceUri signer = ResourceUri.parse(signingKid);
        kek = ImageCommand.Kek.read(keyFile, "--key-file");
        PrivateKey key = PrivateKeyFile.parse(CliIo.read(signingKey, "--signing-key"));
        if (!(key instanceof ECPrivateKey ec) || ec.getParams().getOrder().bitLength() != 256) {
          throw new CliIo.BadInput("--signing-key must be an EC P-256 private key");
        }
        secret = in != null ? CliIo.read(in, "--in") : System.in.readNBytes(MAX_SECRET + 1);
        if (secret.length > MAX_SECRET) {
          throw new CliIo.BadInput("the secret is larger than " + MAX_SECRET + " bytes");
        }
        out.println(SealedSecret.sealEnvelope(secret, kid, kek, ec, signer, new SecureRandom()));
        out.flush();
        return ExitCodes.OK;
      } catch (CliIo.BadInput | IllegalArgumentException e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      } catch (IOException e) {
        err.println("error: reading the secret: " + e.getMessage());
        return ExitCodes.INTERNAL;
      } finally {
        if (secret != null) {
          Arrays.fill(secret, (byte) 0);
        }
        if (kek != null) {
          Arrays.fill(kek, (byte) 0);
        }
      }
    }
  }

  /** {@code vouch secret jwk PUBLIC.pem}: the P-256 public key as the JWK the KBS serves. */
  @Command(
      name = "jwk",
      mixinStandardHelpOptions = true,
      description = "Print an EC P-256 public key (PEM) as the JWK to store under --signing-kid.")
  static final class Jwk implements Callable<Integer> {
    private static final Pattern PEM =
        Pattern.compile("-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\\s]+)-----END PUBLIC KEY-----");

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PUBLIC.pem", description = "SubjectPublicKeyInfo PEM.")
    Path file;

    @Override
    public Integer call() {
      try {
        Matcher m =
            PEM.matcher(new String(CliIo.read(file, "public key"), StandardCharsets.US_ASCII));
        if (!m.find()) {
          throw new CliIo.BadInput(file + " holds no PUBLIC KEY PEM block");
        }
        PublicKey k =
            KeyFactory.getInstance("EC")
                .generatePublic(new X509EncodedKeySpec(Base64.getMimeDecoder().decode(m.group(1))));
        if (!(k instanceof ECPublicKey ec) || ec.getParams().getOrder().bitLength() != 256) {
          throw new CliIo.BadInput(file + " is not an EC P-256 public key");
        }
        spec.commandLine()
            .getOut()
            .println(new ECKey.Builder(Curve.P_256, ec).build().toJSONString());
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
      } catch (CliIo.BadInput e) {
        spec.commandLine().getErr().println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        spec.commandLine().getErr().println("error: " + file + " is not an EC public key");
        return ExitCodes.BAD_INPUT;
      }
    }
  }
}
