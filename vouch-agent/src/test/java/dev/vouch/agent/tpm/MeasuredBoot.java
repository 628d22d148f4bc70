package dev.vouch.agent.tpm;

import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.eventlog.EventType;
import dev.vouch.evidence.tpm.eventlog.TcgEvent;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import java.util.Map;

/**
 * Plays a real boot into a software TPM for tests that need evidence the default TPM policy
 * affirms: every measured entry of a firmware event log (all PCRs, SHA-256 bank, as the firmware
 * did) and then an IMA list into PCR 10 (as the kernel did). Quoting the TPM then gives PCRs that
 * the log and the list reproduce, with Secure Boot read from the log's own PCR 7 entries.
 */
public final class MeasuredBoot {
  private MeasuredBoot() {}

  /**
   * @param firmwareLog a crypto-agile log with SHA-256 digests that starts at locality 0 (swtpm's
   *     PCR 0 starts at zero)
   * @param binaryImaList a kernel {@code binary_runtime_measurements} list
   */
  public static void measure(TpmClient tpm, byte[] firmwareLog, byte[] binaryImaList)
      throws Exception {
    TcgEventLog log = TcgEventLog.parse(firmwareLog);
    if (log.startupLocality() != 0) {
      throw new IllegalArgumentException("swtpm cannot start PCR 0 at locality 3");
    }
    for (TcgEvent e : log.events()) {
      if (e.type() == EventType.EV_NO_ACTION.code()) {
        continue;
      }
      tpm.pcrExtend(e.pcr(), Map.of(HashAlg.SHA256, e.digests().get(HashAlg.SHA256)));
    }
    SoftwareTpm.measureIma(tpm, binaryImaList);
  }
}
