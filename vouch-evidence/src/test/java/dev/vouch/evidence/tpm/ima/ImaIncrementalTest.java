package dev.vouch.evidence.tpm.ima;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A list verified once, then only the entries appended after its checkpoint. */
class ImaIncrementalTest {
  private static final HashAlg SHA256 = HashAlg.SHA256;

  /** Writes entries {@code from..to-1} of a deterministic list (SHA-1 template hashes). */
  private static byte[] entries(int from, int to) {
    ImaListWriter w = new ImaListWriter(HashAlg.SHA1, false);
    for (int i = from; i < to; i++) {
      w.ng(10, "sha256", SHA256.digest(("file " + i).getBytes()), "/usr/bin/f" + i);
    }
    return w.binary();
  }

  /**
   * PCR 10 as the kernel extends the SHA-256 bank: H(reg || sha256(template data)), folded here.
   */
  private static byte[] fold(byte[] start, byte[] list) throws Exception {
    byte[] reg = start.clone();
    for (ImaEntry e : ImaLog.parse(list).entries()) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(reg);
      md.update(MessageDigest.getInstance("SHA-256").digest(e.hashedBytes()));
      reg = md.digest();
    }
    return reg;
  }

  private static PcrValues pcr10(byte[] v) {
    return PcrValues.builder().put(SHA256, 10, v).build();
  }

  @Test
  void appendedEntriesContinueTheCheckpointAndCountFromTheListStart() throws Exception {
    byte[] first = entries(0, 50);
    byte[] quoted1 = fold(new byte[32], first);
    ImaIncremental.Result full = ImaIncremental.verify(first, pcr10(quoted1), Optional.empty());
    assertThat(full.offset()).isZero();
    assertThat(full.next().entries()).isEqualTo(50);
    assertThat(full.next().mode()).isEqualTo(ImaReplayMode.PER_BANK);

    byte[] added = entries(50, 60);
    byte[] quoted2 = fold(quoted1, added);
    ImaIncremental.Result more =
        ImaIncremental.verify(added, pcr10(quoted2), Optional.of(full.next()));
    assertThat(more.offset()).isEqualTo(50);
    assertThat(more.quoted()).isEqualTo(10);
    assertThat(more.next().entries()).isEqualTo(60);
    assertThat(more.next().pcr10().get(SHA256, 10)).hasValue(quoted2);
    assertThat(more.bootAggregate()).isEqualTo(BootAggregate.Result.NOT_CHECKED);
    // the whole list, verified from zero, ends at the same register
    byte[] whole = new byte[first.length + added.length];
    System.arraycopy(first, 0, whole, 0, first.length);
    System.arraycopy(added, 0, whole, first.length, added.length);
    assertThat(ImaIncremental.verify(whole, pcr10(quoted2), Optional.empty()).next())
        .isEqualTo(more.next());
  }

  @Test
  void entriesNotYetQuotedAreLeftForTheNextCheckpoint() throws Exception {
    byte[] first = entries(0, 20);
    ImaCheckpoint at20 =
        ImaIncremental.verify(first, pcr10(fold(new byte[32], first)), Optional.empty()).next();
    byte[] added = entries(20, 30);
    // the quote was taken after 5 of the 10 new entries were extended
    byte[] quoted = fold(at20.pcr10().get(SHA256, 10).orElseThrow(), entries(20, 25));
    ImaIncremental.Result r = ImaIncremental.verify(added, pcr10(quoted), Optional.of(at20));
    assertThat(r.quoted()).isEqualTo(5);
    assertThat(r.next().entries()).isEqualTo(25);
  }

  @Test
  void noNewEntriesPassOnlyWhilePcr10HoldsTheCheckpointValue() throws Exception {
    byte[] first = entries(0, 5);
    byte[] q = fold(new byte[32], first);
    ImaCheckpoint cp = ImaIncremental.verify(first, pcr10(q), Optional.empty()).next();
    assertThat(ImaIncremental.verify(new byte[0], pcr10(q), Optional.of(cp)).next()).isEqualTo(cp);
    byte[] moved = SHA256.digest("unlogged".getBytes());
    assertThatThrownBy(() -> ImaIncremental.verify(new byte[0], pcr10(moved), Optional.of(cp)))
        .isInstanceOf(VerificationException.class)
        .extracting(e -> ((VerificationException) e).failure())
        .isEqualTo(Failure.EVENT_LOG_MISMATCH);
  }

  @Test
  void refusesEntriesReplayedFromAnotherCheckpointValue() throws Exception {
    byte[] first = entries(0, 5);
    byte[] q = fold(new byte[32], first);
    ImaCheckpoint cp = ImaIncremental.verify(first, pcr10(q), Optional.empty()).next();
    byte[] added = entries(5, 8);
    // an agent that sends the new entries of another host (or boot) whose PCR 10 it quotes
    byte[] other = fold(SHA256.digest("other boot".getBytes()), added);
    assertFailure(
        () -> ImaIncremental.verify(added, pcr10(other), Optional.of(cp)),
        Failure.EVENT_LOG_MISMATCH);
    // and a checkpoint moved by one entry does not verify the same continuation
    ImaCheckpoint shifted =
        new ImaCheckpoint(cp.entries(), cp.mode(), pcr10(fold(new byte[32], entries(0, 4))));
    assertFailure(
        () -> ImaIncremental.verify(added, pcr10(fold(q, added)), Optional.of(shifted)),
        Failure.EVENT_LOG_MISMATCH);
  }

  @Test
  void refusesAContinuationWithAFlippedBitOrCutShort() throws Exception {
    byte[] first = entries(0, 5);
    byte[] q = fold(new byte[32], first);
    ImaCheckpoint cp = ImaIncremental.verify(first, pcr10(q), Optional.empty()).next();
    byte[] added = entries(5, 8);
    byte[] quoted = fold(q, added);
    byte[] flipped = added.clone();
    flipped[flipped.length - 3] ^= 0x01; // inside the last entry's file name
    assertFailure(
        () -> ImaIncremental.verify(flipped, pcr10(quoted), Optional.of(cp)),
        Failure.TEMPLATE_HASH_MISMATCH);
    byte[] cut = Arrays.copyOf(added, added.length - 7);
    assertFailure(
        () -> ImaIncremental.verify(cut, pcr10(quoted), Optional.of(cp)), Failure.TRUNCATED);
  }

  @Test
  void refusesAQuotedBankTheCheckpointDoesNotHold() throws Exception {
    byte[] first = entries(0, 3);
    byte[] q = fold(new byte[32], first);
    ImaCheckpoint cp = ImaIncremental.verify(first, pcr10(q), Optional.empty()).next();
    PcrValues both =
        PcrValues.builder().put(SHA256, 10, q).put(HashAlg.SHA1, 10, new byte[20]).build();
    assertFailure(
        () -> ImaIncremental.verify(new byte[0], both, Optional.of(cp)),
        Failure.PCR_VALUES_MISSING);
  }

  private interface Call {
    void run() throws Exception;
  }

  private static void assertFailure(Call call, Failure expected) {
    assertThatThrownBy(call::run)
        .isInstanceOf(VerificationException.class)
        .extracting(e -> ((VerificationException) e).failure())
        .isEqualTo(expected);
  }
}
