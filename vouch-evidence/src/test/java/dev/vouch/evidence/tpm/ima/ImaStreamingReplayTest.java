package dev.vouch.evidence.tpm.ima;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The streaming replay gives what the entry-based replay gives, on lists of every template. */
class ImaStreamingReplayTest {
  private static final Set<HashAlg> ALL =
      EnumSet.of(HashAlg.SHA1, HashAlg.SHA256, HashAlg.SHA384, HashAlg.SHA512);

  /** A mixed list: every writer template, violations, another register, long names. */
  static ImaListWriter mixed(HashAlg templateHash, long seed, int n, boolean ascii) {
    Random rnd = new Random(seed);
    ImaListWriter w = new ImaListWriter(templateHash, ascii);
    w.ng(10, "sha256", bytes(rnd, 32), "boot_aggregate");
    for (int i = 0; i < n; i++) {
      String name = "/usr/lib/lib" + Integer.toHexString(rnd.nextInt()) + ".so";
      switch (rnd.nextInt(6)) {
        case 0 -> w.ng(10, "sha1", bytes(rnd, 20), name);
        case 1 ->
            w.sig(
                10,
                "sha256",
                bytes(rnd, 32),
                name,
                rnd.nextBoolean() ? bytes(rnd, 70) : new byte[0]);
        case 2 -> w.buf(10, HashAlg.SHA256, ".ima", bytes(rnd, 1 + rnd.nextInt(300)));
        case 3 -> w.legacy(10, bytes(rnd, 20), name);
        case 4 -> w.violation(rnd.nextBoolean() ? 10 : 11, "sha384", name);
        default -> w.ng(11, "sha512", bytes(rnd, 64), name + "/" + "x".repeat(rnd.nextInt(400)));
      }
    }
    return w;
  }

  private static byte[] bytes(Random rnd, int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }

  @ParameterizedTest
  @EnumSource(
      value = HashAlg.class,
      names = {"SHA1", "SHA256", "SHA384", "SHA512"})
  void streamingReplayEqualsEntryReplayForEveryModeAndTemplateHash(HashAlg templateHash)
      throws Exception {
    for (long seed = 1; seed <= 4; seed++) {
      ImaListWriter w = mixed(templateHash, seed, 300, true);
      byte[] bin = w.binary();
      ImaLog log = ImaLog.parseBinary(bin);
      assertThat(log.templateHashAlg()).isEqualTo(templateHash);
      assertThat(ImaLog.parseAscii(w.ascii()).entries()).isEqualTo(log.entries());
      assertThat(log.toBinary()).isEqualTo(bin);
      for (ImaReplayMode mode : ImaReplayMode.values()) {
        ImaReplay.Result r = ImaReplay.replayBinary(bin, ALL, mode);
        assertThat(r.pcrs()).isEqualTo(log.replay(ALL, mode));
        assertThat(r.entries()).isEqualTo(log.size());
        assertThat(r.violations()).isEqualTo(log.violations());
        assertThat(r.templateHashAlg()).isEqualTo(templateHash);
        assertThat(ImaReplay.replay(w.ascii(), ALL, mode).pcrs()).isEqualTo(r.pcrs());
      }
    }
  }

  @Test
  void streamingReplayNamesTheEntryWhoseTemplateHashIsWrong() {
    byte[] bin = mixed(HashAlg.SHA1, 9, 50, false).binary();
    // entry 1 is the boot aggregate: 4-byte PCR, 20-byte hash, then name length and name
    bin[4] ^= 1;
    assertThatThrownBy(() -> ImaReplay.replayBinary(bin, ALL, ImaReplayMode.PER_BANK))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> {
              assertThat(e.failure()).isEqualTo(Failure.TEMPLATE_HASH_MISMATCH);
              assertThat(e.getMessage()).startsWith("entry 1 (offset 0)");
            });
  }

  @Test
  void violationsExtendOnesInEveryBank() throws Exception {
    byte[] bin = new ImaListWriter(HashAlg.SHA1, false).violation(10, "sha256", "/tmp/x").binary();
    var pcrs = ImaReplay.replayBinary(bin, ALL, ImaReplayMode.PER_BANK).pcrs();
    for (HashAlg bank : ALL) {
      byte[] ones = new byte[bank.size()];
      java.util.Arrays.fill(ones, (byte) 0xff);
      assertThat(pcrs.get(bank, 10))
          .contains(dev.vouch.evidence.tpm.PcrValues.extend(bank, new byte[bank.size()], ones));
    }
  }
}
