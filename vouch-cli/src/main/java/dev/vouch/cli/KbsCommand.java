package dev.vouch.cli;

import dev.vouch.agent.kbs.EvidenceException;
import dev.vouch.agent.kbs.EvidenceProvider;
import dev.vouch.agent.kbs.KbsClient;
import dev.vouch.agent.kbs.KbsException;
import dev.vouch.agent.kbs.SampleEvidenceProvider;
import dev.vouch.agent.kbs.TpmEvidenceProvider;
import dev.vouch.agent.tpm.PersistentKey;
import dev.vouch.agent.tpm.StartupType;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.tpm.TpmException;
import dev.vouch.agent.trust.Enrollment;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vouch kbs ...}: the guest side of the KBS protocol. */
@Command(
    name = "kbs",
    description = "Talk to a key broker (Trustee KBS protocol 0.4.0).",
    subcommands = {KbsCommand.GetResource.class})
public final class KbsCommand extends CommandGroup {

  /**
   * {@code vouch kbs get-resource --url URL REPO/TYPE/TAG}: attests with this machine's TPM (or the
   * sample attester when asked for by name), fetches the resource and prints it. Exit 0 with the
   * secret on stdout; 1 when the KBS refuses (401 attestation failed, 403 policy denied, 404) with
   * the reason on stderr; 2 bad input; 3 TPM or network trouble.
   */
  @Command(
      name = "get-resource",
      mixinStandardHelpOptions = true,
      description = "Run the attestation handshake and print the released resource.")
  static final class GetResource implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--url", required = true, description = "KBS base URL, e.g. https://kbs:8080")
    URI url;

    @Parameters(index = "0", paramLabel = "REPO/TYPE/TAG", description = "The resource path.")
    String path;

    @Option(
        names = "--tee",
        defaultValue = "tpm",
        description = "Evidence source: tpm, or sample (test only; proves nothing).")
    String tee;

    @Option(
        names = "--tpm",
        defaultValue = "device:/dev/tpmrm0",
        description = "device:/dev/tpmrm0 or swtpm:HOST:PORT (default: ${DEFAULT-VALUE}).")
    String tpm;

    @Option(
        names = "--eventlog",
        defaultValue = "/sys/kernel/security/tpm0/binary_bios_measurements",
        description =
            "TPM: firmware event log to send (default: ${DEFAULT-VALUE}); Secure Boot is read from"
                + " it, so without it the default policy does not affirm. Skipped when unreadable.")
    Path eventLog;

    @Option(
        names = "--ima",
        defaultValue = "/sys/kernel/security/ima/binary_runtime_measurements",
        description =
            "TPM: binary IMA list to send (default: ${DEFAULT-VALUE}). Skipped when unreadable.")
    Path ima;

    @Option(
        names = "--output",
        description = "Write the raw bytes to this file instead of printing them.")
    Path output;

    @Option(
        names = "--cacert",
        paramLabel = "PEM",
        description =
            "Trust this certificate for the KBS's TLS, e.g. <data_dir>/tls/server.crt of a"
                + " self-signed vouch server (default: the system trust store).")
    Path cacert;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      String[] seg = path.split("/", -1);
      if (seg.length != 3) {
        err.println("error: the resource path is REPO/TYPE/TAG");
        return ExitCodes.BAD_INPUT;
      }
      HttpClient http;
      try {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (cacert != null) {
          b.sslContext(
              AdminOptions.trusting(
                  ReportCommand.certificates(CliIo.read(cacert, "--cacert"), cacert), "--cacert"));
        }
        http = b.build();
      } catch (CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
      try {
        byte[] secret;
        switch (tee) {
          case "sample" -> secret = fetch(http, SampleEvidenceProvider.explicitlyEnabled(), seg);
          case "tpm" -> {
            try (TpmClient client = TpmClient.open(tpm)) {
              client.startup(StartupType.CLEAR);
              Enrollment enrollment = Enrollment.withDefaults(client);
              enrollment.prepare();
              PersistentKey ak = enrollment.ak();
              secret =
                  fetch(
                      http,
                      TpmEvidenceProvider.measuredBoot(
                          client, ak, Optional.of(eventLog), Optional.of(ima)),
                      seg);
            }
          }
          default -> {
            err.println("error: --tee must be tpm or sample");
            return ExitCodes.BAD_INPUT;
          }
        }
        emit(secret, out, err);
        return ExitCodes.OK;
      } catch (KbsException e) {
        err.println("error: " + e);
        return e.status() == 0 ? ExitCodes.INTERNAL : ExitCodes.FAILED;
      } catch (EvidenceException | TpmException e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.INTERNAL;
      } catch (IOException e) {
        err.println("error: cannot write " + output + ": " + e.getMessage());
        return ExitCodes.INTERNAL;
      }
    }

    private byte[] fetch(HttpClient http, EvidenceProvider evidence, String[] seg)
        throws KbsException, EvidenceException {
      return new KbsClient(url, evidence, http, Clock.systemUTC(), KbsClient.KeyKind.EC_P256)
          .getResource(seg[0], seg[1], seg[2]);
    }

    private void emit(byte[] secret, PrintWriter out, PrintWriter err) throws IOException {
      if (output != null) {
        Files.write(output, secret);
        return;
      }
      try {
        out.print(
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(secret)));
      } catch (CharacterCodingException e) {
        // a terminal would mangle binary: print it recoverably and say so
        out.println(Base64.getEncoder().encodeToString(secret));
        err.println("note: the resource is binary; printed as base64 (use --output FILE)");
      }
      out.flush();
    }
  }
}
