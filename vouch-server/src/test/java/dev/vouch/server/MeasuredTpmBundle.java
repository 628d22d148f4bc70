package dev.vouch.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.agent.kbs.TpmEvidenceProvider;
import dev.vouch.agent.tpm.MeasuredBoot;
import dev.vouch.agent.tpm.PcrSelection;
import dev.vouch.agent.tpm.PersistentKey;
import dev.vouch.agent.tpm.StartupType;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.trust.Enrollment;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrValues;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * TPM evidence the default TPM policy can affirm, made on a live swtpm: a real Secure Boot firmware
 * log (Keylime's) and a real IMA list (rust-keylime's) are measured into it as firmware and kernel
 * did, and the agent's evidence provider quotes SHA-256 PCRs 0-23 with the nonce and sends both
 * lists along.
 *
 * @param bundle the evidence bundle (JSON)
 * @param nonce the quote's extraData
 * @param references reference values that match it: the AK's SPKI hash and PCRs 0, 2, 4 and 7
 */
public record MeasuredTpmBundle(byte[] bundle, byte[] nonce, Map<String, List<String>> references) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Makes the evidence for {@code nonce} (32 bytes) with the TPM's files under {@code dir}. */
  public static MeasuredTpmBundle make(Path dir, byte[] nonce) throws Exception {
    Path log = dir.resolve("binary_bios_measurements");
    Path ima = dir.resolve("binary_runtime_measurements");
    Files.write(log, resource("/vectors/tpm-eventlog/keylime-binary_bios_measurements-secureboot"));
    Files.write(ima, resource("/vectors/ima/rust-keylime-binary_runtime_measurements"));
    try (Swtpm swtpm = Swtpm.start();
        TpmClient tpm = swtpm.client()) {
      tpm.startup(StartupType.CLEAR);
      MeasuredBoot.measure(tpm, Files.readAllBytes(log), Files.readAllBytes(ima));
      Enrollment enrollment = Enrollment.withDefaults(tpm);
      enrollment.prepare();
      PersistentKey ak = enrollment.ak();
      byte[] bundle =
          JSON.writeValueAsBytes(
              TpmEvidenceProvider.measuredBoot(tpm, ak, Optional.of(log), Optional.of(ima))
                  .evidence(nonce));
      PcrValues pcrs = tpm.pcrRead(List.of(PcrSelection.range(HashAlg.SHA256, 0, 23)));
      Map<String, List<String>> refs = new LinkedHashMap<>();
      refs.put(
          "tpm.trusted_aks",
          List.of(
              Hex.encode(
                  HashAlg.SHA256.digest(AkKeys.parse(ak.publicArea()).publicKey().getEncoded()))));
      for (int i : new int[] {0, 2, 4, 7}) {
        refs.put(
            "tpm.pcr.sha256." + i, List.of(Hex.encode(pcrs.get(HashAlg.SHA256, i).orElseThrow())));
      }
      return new MeasuredTpmBundle(bundle, nonce.clone(), refs);
    }
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = MeasuredTpmBundle.class.getResourceAsStream(name)) {
      return in.readAllBytes();
    }
  }
}
