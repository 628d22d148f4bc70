package dev.vouch.cli;

import dev.vouch.agent.kbs.EvidenceProvider;
import dev.vouch.agent.kbs.KbsClient;
import dev.vouch.agent.kbs.SampleEvidenceProvider;
import dev.vouch.agent.kbs.TpmEvidenceProvider;
import dev.vouch.agent.kbs.TsmEvidenceProvider;
import dev.vouch.agent.tpm.StartupType;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.tpm.TpmException;
import dev.vouch.agent.trust.Enrollment;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * How a guest attests to a KBS: the evidence source and the KBS's TLS trust. Shared by the verbs
 * that fetch keys after attestation ({@code kbs get-resource}, {@code image decrypt}, {@code
 * data-hub}).
 */
final class GuestOptions {
  @Option(
      names = "--tee",
      defaultValue = "tpm",
      description =
          "Evidence source for --url: tpm; snp or tdx (a confidential guest's report through"
              + " configfs-tsm, SNP with the host's certificate table); or sample (test only;"
              + " proves nothing).")
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
      names = "--cacert",
      paramLabel = "PEM",
      description =
          "Trust this certificate for the KBS's TLS, e.g. <data_dir>/tls/server.crt of a"
              + " self-signed vouch server (default: the system trust store).")
  Path cacert;

  /** A KBS client with its evidence source; closing it releases the TPM. */
  record Guest(KbsClient kbs, Optional<TpmClient> tpm) implements AutoCloseable {
    @Override
    public void close() throws TpmException {
      if (tpm.isPresent()) {
        tpm.get().close();
      }
    }
  }

  /** Opens the evidence source (the TPM, with its attestation key) and a client for {@code url}. */
  Guest open(URI url) throws CliIo.BadInput, TpmException {
    HttpClient http = http(cacert, "--cacert");
    switch (tee) {
      case "sample" -> {
        return new Guest(
            client(url, http, SampleEvidenceProvider.explicitlyEnabled()), Optional.empty());
      }
      case "tpm" -> {
        TpmClient client = TpmClient.open(tpm);
        try {
          client.startup(StartupType.CLEAR);
          Enrollment enrollment = Enrollment.withDefaults(client);
          enrollment.prepare();
          EvidenceProvider evidence =
              TpmEvidenceProvider.measuredBoot(
                  client, enrollment.ak(), Optional.of(eventLog), Optional.of(ima));
          return new Guest(client(url, http, evidence), Optional.of(client));
        } catch (TpmException | RuntimeException e) {
          try {
            client.close();
          } catch (TpmException suppressed) {
            e.addSuppressed(suppressed);
          }
          throw e;
        }
      }
      case "snp", "tdx" -> {
        // no TPM: the report comes from the TEE; a missing configfs-tsm fails at attestation
        EvidenceProvider evidence =
            new TsmEvidenceProvider(
                TsmEvidenceProvider.DEFAULT_ROOT,
                tee,
                tee.equals("tdx")
                    ? Optional.of(TsmEvidenceProvider.DEFAULT_CCEL)
                    : Optional.empty());
        return new Guest(client(url, http, evidence), Optional.empty());
      }
      default -> throw new CliIo.BadInput("--tee must be tpm, snp, tdx or sample");
    }
  }

  /**
   * Prints why a guest's attestation or fetch failed and answers the exit code: 2 bad input, 1 the
   * KBS answered with a refusal (attestation or policy), 3 no answer, no evidence or no TPM.
   */
  static int failure(java.io.PrintWriter err, Exception e, String suffix) {
    if (e instanceof CliIo.BadInput) {
      err.println("error: " + e.getMessage());
      return ExitCodes.BAD_INPUT;
    }
    if (e instanceof dev.vouch.agent.kbs.KbsException k) {
      err.println("error: " + k + suffix);
      return k.status() == 0 ? ExitCodes.INTERNAL : ExitCodes.FAILED;
    }
    err.println("error: " + e.getMessage());
    return ExitCodes.INTERNAL;
  }

  /** An HTTP client for a KBS, trusting {@code cacert} (named {@code option}) when given. */
  static HttpClient http(Path cacert, String option) throws CliIo.BadInput {
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
    if (cacert != null) {
      b.sslContext(
          AdminOptions.trusting(
              ReportCommand.certificates(CliIo.read(cacert, option), cacert), option));
    }
    return b.build();
  }

  /** The one KBS client of a guest process: its session and token serve every fetch. */
  static KbsClient client(URI url, HttpClient http, EvidenceProvider evidence) {
    return new KbsClient(url, evidence, http, Clock.systemUTC(), KbsClient.KeyKind.EC_P256);
  }
}
