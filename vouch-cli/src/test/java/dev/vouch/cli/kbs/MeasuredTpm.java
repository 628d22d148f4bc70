package dev.vouch.cli.kbs;

import dev.vouch.agent.tpm.MeasuredBoot;
import dev.vouch.agent.tpm.PcrSelection;
import dev.vouch.agent.tpm.StartupType;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.trust.Enrollment;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.server.kbs.RealAttestation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A guest's TPM for KBS tests: swtpm with Keylime's secure-boot event log and IMA list replayed
 * into its PCRs and the default AK (the one {@code vouch agent} and the guest verbs make), plus the
 * reference values a KBS needs to trust that guest.
 */
public record MeasuredTpm(Swtpm swtpm, String akSpkiSha256, PcrValues pcrs)
    implements AutoCloseable {
  public static final Path LOG =
      Path.of("../vouch-evidence/src/test/resources/vectors/tpm-eventlog/keylime")
          .resolve("binary_bios_measurements-secureboot");
  public static final Path IMA =
      Path.of("../vouch-evidence/src/test/resources/vectors/ima/keylime")
          .resolve("ima-log-sha256.binary_runtime_measurements");

  public static MeasuredTpm start() throws Exception {
    Swtpm swtpm = Swtpm.start();
    try (TpmClient c = swtpm.client()) {
      c.startup(StartupType.CLEAR);
      MeasuredBoot.measure(c, Files.readAllBytes(LOG), Files.readAllBytes(IMA));
      Enrollment e = Enrollment.withDefaults(c);
      e.prepare();
      String ak =
          Hex.encode(
              HashAlg.SHA256.digest(AkKeys.parse(e.ak().publicArea()).publicKey().getEncoded()));
      return new MeasuredTpm(
          swtpm, ak, c.pcrRead(List.of(PcrSelection.range(HashAlg.SHA256, 0, 23))));
    } catch (Exception | Error e) {
      swtpm.close();
      throw e;
    }
  }

  /** {@code swtpm:127.0.0.1:PORT}, as {@code --tpm} takes it. */
  public String tpmOption() {
    return "swtpm:127.0.0.1:" + swtpm.port();
  }

  /** Makes {@code backend} trust this TPM's AK and the PCRs the default TPM policy checks. */
  public void trustIn(RealAttestation backend) {
    backend.reference("tpm.trusted_aks", List.of(akSpkiSha256));
    for (int i : new int[] {0, 2, 4, 7}) {
      backend.reference(
          "tpm.pcr.sha256." + i, List.of(Hex.encode(pcrs.get(HashAlg.SHA256, i).orElseThrow())));
    }
  }

  @Override
  public void close() {
    swtpm.close();
  }
}
