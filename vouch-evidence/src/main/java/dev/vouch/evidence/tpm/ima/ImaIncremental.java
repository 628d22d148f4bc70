package dev.vouch.evidence.tpm.ima;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Verifies an IMA list, or the part of it after a {@link ImaCheckpoint}, against a quoted PCR 10:
 * in every quoted bank, the register's value at the checkpoint (its reset value without one)
 * extended by some prefix of the supplied entries must equal the quoted value, the same prefix in
 * every bank. Only the supplied entries are parsed and hashed, so after a first full verification
 * the cost follows the new entries. The checkpoint's boot is the caller's to check.
 */
public final class ImaIncremental {
  private ImaIncremental() {}

  /**
   * A verified list or continuation.
   *
   * @param offset the 0-based number of the first supplied entry (the checkpoint's entries)
   * @param log the supplied entries, parsed with template hashes enforced
   * @param quoted how many of the supplied entries the quote covers
   * @param next the checkpoint after the quoted entries
   * @param bootAggregate the check of the first entry, made only when the list starts at entry 0
   */
  public record Result(
      long offset, ImaLog log, int quoted, ImaCheckpoint next, BootAggregate.Result bootAggregate) {
    /** Violations among the quoted supplied entries. */
    public int violations() {
      return log.prefix(quoted).violations();
    }
  }

  /**
   * Verifies {@code entries} (binary or ASCII export; empty when nothing was added) as the
   * continuation of {@code from}, or as a whole list without it.
   *
   * @throws VerificationException {@link Failure#PCR_VALUES_MISSING} when no bank has PCR 10 quoted
   *     or a quoted bank is not in the checkpoint; {@link Failure#EVENT_LOG_MISMATCH} when no
   *     prefix reproduces the quote; the parser's codes (TRUNCATED, MALFORMED,
   *     TEMPLATE_HASH_MISMATCH) for a broken list
   */
  public static Result verify(byte[] entries, PcrValues quoted, Optional<ImaCheckpoint> from)
      throws VerificationException {
    List<HashAlg> banks = new ArrayList<>();
    for (HashAlg b : quoted.banks()) {
      if (quoted.get(b, ImaLog.IMA_PCR).isPresent()) {
        banks.add(b);
      }
    }
    if (banks.isEmpty()) {
      throw new VerificationException(
          Failure.PCR_VALUES_MISSING, "an IMA list was supplied but no quote covers PCR 10");
    }
    for (HashAlg b : banks) {
      if (from.isPresent() && from.get().pcr10().get(b, ImaLog.IMA_PCR).isEmpty()) {
        throw new VerificationException(
            Failure.PCR_VALUES_MISSING,
            "the checkpoint holds no " + b.shortName() + " PCR 10 to continue from");
      }
    }
    ImaLog log = ImaLog.parse(entries);
    long offset = from.map(ImaCheckpoint::entries).orElse(0L);
    List<ImaReplayMode> modes =
        from.isPresent() ? List.of(from.get().mode()) : List.of(ImaReplayMode.values());
    for (ImaReplayMode mode : modes) {
      OptionalInt prefix = OptionalInt.empty();
      boolean all = true;
      for (HashAlg bank : banks) {
        byte[] start =
            from.isPresent()
                ? from.get().pcr10().get(bank, ImaLog.IMA_PCR).orElseThrow()
                : new byte[bank.size()];
        OptionalInt p =
            log.matchQuoted(
                bank, ImaLog.IMA_PCR, start, quoted.get(bank, ImaLog.IMA_PCR).get(), mode);
        if (p.isEmpty() || (prefix.isPresent() && prefix.getAsInt() != p.getAsInt())) {
          all = false;
          break;
        }
        prefix = p;
      }
      if (all) {
        int n = prefix.getAsInt();
        PcrValues.Builder pcr10 = PcrValues.builder();
        for (HashAlg bank : banks) {
          pcr10.put(bank, ImaLog.IMA_PCR, quoted.get(bank, ImaLog.IMA_PCR).get());
        }
        BootAggregate.Result boot =
            offset == 0 && n > 0
                ? BootAggregate.check(log.entries().get(0), quoted)
                : BootAggregate.Result.NOT_CHECKED;
        return new Result(offset, log, n, new ImaCheckpoint(offset + n, mode, pcr10.build()), boot);
      }
    }
    throw new VerificationException(
        Failure.EVENT_LOG_MISMATCH,
        from.isPresent()
            ? "PCR 10 at entry "
                + offset
                + " extended by no prefix of the "
                + log.size()
                + " new entries reproduces the quoted PCR 10"
            : "no prefix of the IMA list's "
                + log.size()
                + " entries reproduces the quoted PCR 10");
  }
}
