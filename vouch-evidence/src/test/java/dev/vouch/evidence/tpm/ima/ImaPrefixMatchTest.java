package dev.vouch.evidence.tpm.ima;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A quote taken while IMA was still appending matches a prefix of the list, and only that. */
class ImaPrefixMatchTest {
  private static ImaLog realList() throws VerificationException {
    return ImaLog.parse(ImaResources.bytes("rust-keylime/ascii_runtime_measurements"));
  }

  @Test
  void findsThePrefixAQuoteTakenMidListCovers() throws Exception {
    ImaLog log = realList();
    for (int cut : new int[] {1, 2, 400, 825}) {
      for (HashAlg bank : Set.of(HashAlg.SHA1, HashAlg.SHA256)) {
        byte[] quoted =
            log.prefix(cut)
                .replay(Set.of(bank), ImaReplayMode.PER_BANK)
                .get(bank, 10)
                .orElseThrow();
        assertThat(log.matchQuoted(bank, quoted, ImaReplayMode.PER_BANK)).hasValue(cut);
        assertThat(log.requireQuotedPrefix(bank, 10, quoted, ImaReplayMode.PER_BANK))
            .isEqualTo(cut);
      }
    }
  }

  @Test
  void matchesTheWholeListFirst() throws Exception {
    ImaLog log = realList();
    byte[] full =
        log.replay(Set.of(HashAlg.SHA256), ImaReplayMode.PER_BANK)
            .get(HashAlg.SHA256, 10)
            .orElseThrow();
    assertThat(log.matchQuoted(HashAlg.SHA256, full, ImaReplayMode.PER_BANK)).hasValue(826);
  }

  @Test
  void failsWithEventLogMismatchWhenNoPrefixReplaysToTheQuote() throws Exception {
    ImaLog log = realList();
    byte[] other = new byte[32];
    other[0] = 1;
    assertThat(log.matchQuoted(HashAlg.SHA256, other, ImaReplayMode.PER_BANK)).isEmpty();
    // a value from the other replay mode is not accepted either
    byte[] oldKernel =
        log.replay(Set.of(HashAlg.SHA256), ImaReplayMode.OLD_KERNEL)
            .get(HashAlg.SHA256, 10)
            .orElseThrow();
    assertThat(log.matchQuoted(HashAlg.SHA256, oldKernel, ImaReplayMode.PER_BANK)).isEmpty();
    assertThat(log.matchQuoted(HashAlg.SHA256, oldKernel, ImaReplayMode.OLD_KERNEL)).hasValue(826);
    assertThatThrownBy(
            () -> log.requireQuotedPrefix(HashAlg.SHA256, 10, other, ImaReplayMode.PER_BANK))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.EVENT_LOG_MISMATCH));
  }

  @Test
  void ignoresEntriesOfOtherRegistersWhenMatching() throws Exception {
    ImaListWriter w = new ImaListWriter(HashAlg.SHA1, false);
    w.ng(10, "sha256", new byte[32], "boot_aggregate").ng(11, "sha256", new byte[32], "/kexec");
    ImaLog log = ImaLog.parseBinary(w.binary());
    byte[] pcr10 =
        log.replay(Set.of(HashAlg.SHA1), ImaReplayMode.PER_BANK)
            .get(HashAlg.SHA1, 10)
            .orElseThrow();
    assertThat(log.matchQuoted(HashAlg.SHA1, pcr10, ImaReplayMode.PER_BANK)).hasValue(2);
    assertThat(log.replay(Set.of(HashAlg.SHA1), ImaReplayMode.PER_BANK).indexes(HashAlg.SHA1))
        .containsExactly(10, 11);
  }
}
