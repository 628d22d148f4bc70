package dev.vouch.server.hosts;

import dev.vouch.evidence.tpm.ima.ImaCheckpoint;
import java.util.Objects;

/**
 * How far a host's IMA list was verified, and in which TPM boot: the checkpoint holds only while
 * the quotes carry the same reset count (the TPM was not reset: no reboot) and restart count (no
 * resume from hibernation that reset the PCRs).
 *
 * @param resetCount the quote's reset count when the checkpoint was taken
 * @param restartCount the quote's restart count then
 * @param checkpoint entries verified and PCR 10 after them
 */
public record ImaProgress(long resetCount, long restartCount, ImaCheckpoint checkpoint) {
  public ImaProgress {
    Objects.requireNonNull(checkpoint, "checkpoint");
  }
}
