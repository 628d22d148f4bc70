package dev.vouch.evidence.tpm.ima;

import dev.vouch.evidence.tpm.PcrValues;
import java.util.Objects;

/**
 * How far a host's IMA list has been verified: the first {@code entries} entries replayed, under
 * {@code mode}, to the PCR 10 values in {@code pcr10} (one per bank) that a quote held. A verifier
 * that keeps this between attestations asks only for the entries after it and replays them from
 * these values ({@link ImaIncremental}); it is valid for one TPM boot only, which the holder must
 * check (reset and restart counts), since nothing here says which boot it was.
 *
 * @param entries entries covered, i.e. the 0-based number of the next entry
 * @param mode how the kernel extended PCR 10
 * @param pcr10 PCR 10 per bank after those entries (index 10 in every bank)
 */
public record ImaCheckpoint(long entries, ImaReplayMode mode, PcrValues pcr10) {
  public ImaCheckpoint {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(pcr10, "pcr10");
    if (entries < 0) {
      throw new IllegalArgumentException("entries must not be negative");
    }
    if (pcr10.banks().isEmpty()) {
      throw new IllegalArgumentException("a checkpoint holds PCR 10 in at least one bank");
    }
    for (var bank : pcr10.banks()) {
      if (pcr10.get(bank, ImaLog.IMA_PCR).isEmpty()) {
        throw new IllegalArgumentException("bank " + bank.shortName() + " lacks PCR 10");
      }
    }
  }
}
