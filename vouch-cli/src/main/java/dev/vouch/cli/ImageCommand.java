package dev.vouch.cli;

import dev.vouch.agent.image.ImageDecryptor;
import dev.vouch.agent.image.OciRef;
import dev.vouch.agent.image.PrivateKeyFile;
import dev.vouch.agent.kbs.EvidenceException;
import dev.vouch.agent.kbs.EvidenceProvider;
import dev.vouch.agent.kbs.KbsClient;
import dev.vouch.agent.kbs.KbsException;
import dev.vouch.agent.kbs.SampleEvidenceProvider;
import dev.vouch.agent.kbs.TpmEvidenceProvider;
import dev.vouch.agent.tpm.StartupType;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.tpm.TpmException;
import dev.vouch.agent.trust.Enrollment;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vouch image ...}: encrypted container images. */
@Command(
    name = "image",
    description = "Decrypt OCI images encrypted with ocicrypt (skopeo, podman, buildah).",
    subcommands = {ImageCommand.Decrypt.class})
final class ImageCommand extends CommandGroup {

  /**
   * {@code vouch image decrypt (--key-file PEM | --url KBS --key-resource R/T/T) oci:SRC[:TAG]
   * oci:DST[:TAG]}: decrypts every encrypted layer with the JWE private key, from a file or
   * released by the KBS after attestation, and writes a plain layout. Exit 0 done; 1 the image does
   * not decrypt or verify, or the KBS refused; 2 bad input; 3 TPM, network or disk trouble. On any
   * failure nothing is written at DST.
   */
  @Command(
      name = "decrypt",
      mixinStandardHelpOptions = true,
      description = "Decrypt an ocicrypt-encrypted OCI layout into a new plain layout.")
  static final class Decrypt implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "oci:SRC[:TAG]", description = "Encrypted layout.")
    String src;

    @Parameters(
        index = "1",
        paramLabel = "oci:DST[:TAG]",
        description = "New layout to write; must not exist, or be an empty directory.")
    String dst;

    @Option(
        names = "--key-file",
        paramLabel = "PEM",
        description = "Private key the image was encrypted to (PKCS#8 or PKCS#1 PEM; RSA or EC).")
    Path keyFile;

    @Option(names = "--url", description = "KBS base URL: fetch the private key after attestation.")
    URI url;

    @Option(
        names = "--key-resource",
        paramLabel = "REPO/TYPE/TAG",
        description = "KBS resource holding the PEM private key (with --url).")
    String keyResource;

    @Option(
        names = "--tee",
        defaultValue = "tpm",
        description = "Evidence source for --url: tpm, or sample (test only; proves nothing).")
    String tee;

    @Option(
        names = "--tpm",
        defaultValue = "device:/dev/tpmrm0",
        description = "device:/dev/tpmrm0 or swtpm:HOST:PORT (default: ${DEFAULT-VALUE}).")
    String tpm;

    @Option(
        names = "--eventlog",
        defaultValue = "/sys/kernel/security/tpm0/binary_bios_measurements",
        description = "TPM: firmware event log to send (default: ${DEFAULT-VALUE}).")
    Path eventLog;

    @Option(
        names = "--ima",
        defaultValue = "/sys/kernel/security/ima/binary_runtime_measurements",
        description = "TPM: binary IMA list to send (default: ${DEFAULT-VALUE}).")
    Path ima;

    @Option(names = "--cacert", paramLabel = "PEM", description = "Trust this CA for the KBS TLS.")
    Path cacert;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      OciRef from;
      OciRef to;
      try {
        from = OciRef.parse(src);
        to = OciRef.parse(dst);
      } catch (IllegalArgumentException e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
      if ((keyFile == null) == (url == null) || (url == null) != (keyResource == null)) {
        err.println("error: give either --key-file, or --url with --key-resource");
        return ExitCodes.BAD_INPUT;
      }
      PrivateKey key;
      try {
        key = keyFile != null ? PrivateKeyFile.read(keyFile) : fromKbs(err);
        if (key == null) {
          return lastExit;
        }
      } catch (IllegalArgumentException | IOException e) {
        err.println("error: private key: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
      try {
        ImageDecryptor.Result r = new ImageDecryptor(List.of(key)).decrypt(from, to);
        out.println(
            "decrypted "
                + r.decryptedLayers()
                + " layer(s), copied "
                + r.copiedLayers()
                + "; wrote "
                + to
                + " (manifest "
                + r.manifestDigest()
                + ")");
        out.flush();
        return ExitCodes.OK;
      } catch (VerificationException e) {
        err.println("error: " + e + " (nothing written at " + to.dir() + ")");
        return ExitCodes.FAILED;
      } catch (IllegalArgumentException | NoSuchFileException e) {
        err.println("error: " + describe(e));
        return ExitCodes.BAD_INPUT;
      } catch (IOException e) {
        err.println("error: " + describe(e) + " (nothing written at " + to.dir() + ")");
        return ExitCodes.INTERNAL;
      }
    }

    private int lastExit = ExitCodes.INTERNAL;

    /** Attests to the KBS and parses the released resource as the PEM key; null after an error. */
    private PrivateKey fromKbs(PrintWriter err) {
      String[] seg = keyResource.split("/", -1);
      if (seg.length != 3 || List.of(seg).contains("")) {
        err.println("error: --key-resource is REPO/TYPE/TAG");
        lastExit = ExitCodes.BAD_INPUT;
        return null;
      }
      try {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (cacert != null) {
          b.sslContext(
              AdminOptions.trusting(
                  ReportCommand.certificates(CliIo.read(cacert, "--cacert"), cacert), "--cacert"));
        }
        HttpClient http = b.build();
        byte[] pem;
        switch (tee) {
          case "sample" -> pem = fetch(http, SampleEvidenceProvider.explicitlyEnabled(), seg);
          case "tpm" -> {
            try (TpmClient client = TpmClient.open(tpm)) {
              client.startup(StartupType.CLEAR);
              Enrollment enrollment = Enrollment.withDefaults(client);
              enrollment.prepare();
              pem =
                  fetch(
                      http,
                      TpmEvidenceProvider.measuredBoot(
                          client, enrollment.ak(), Optional.of(eventLog), Optional.of(ima)),
                      seg);
            }
          }
          default -> {
            err.println("error: --tee must be tpm or sample");
            lastExit = ExitCodes.BAD_INPUT;
            return null;
          }
        }
        try {
          return PrivateKeyFile.parse(pem);
        } catch (IllegalArgumentException e) {
          // the KBS released something, but not a key: the operator stored the wrong resource
          err.println("error: resource " + keyResource + " is not a PEM private key");
          lastExit = ExitCodes.FAILED;
          return null;
        }
      } catch (CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        lastExit = ExitCodes.BAD_INPUT;
      } catch (KbsException e) {
        err.println("error: " + e + " (nothing written at " + dst + ")");
        lastExit = e.status() == 0 ? ExitCodes.INTERNAL : ExitCodes.FAILED;
      } catch (EvidenceException | TpmException e) {
        err.println("error: " + e.getMessage());
        lastExit = ExitCodes.INTERNAL;
      }
      return null;
    }

    private byte[] fetch(HttpClient http, EvidenceProvider evidence, String[] seg)
        throws KbsException, EvidenceException {
      return new KbsClient(url, evidence, http, Clock.systemUTC(), KbsClient.KeyKind.EC_P256)
          .getResource(seg[0], seg[1], seg[2]);
    }

    private static String describe(Exception e) {
      return e instanceof NoSuchFileException n ? "no such file: " + n.getFile() : e.getMessage();
    }
  }
}
