package dev.vouch.evidence.tpm.ima;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Hostile lists: random bytes, truncations and bit flips of real lists in both exports only ever
 * end in {@link VerificationException}, never in another exception or a huge allocation.
 */
class ImaListProperties {
  private static final Set<Failure> PARSE_FAILURES =
      EnumSet.of(
          Failure.TRUNCATED,
          Failure.MALFORMED,
          Failure.UNSUPPORTED,
          Failure.TEMPLATE_HASH_MISMATCH);
  private static final Set<HashAlg> BANKS = EnumSet.of(HashAlg.SHA1, HashAlg.SHA256);
  private static final List<byte[]> SAMPLES =
      List.of(
          ImaResources.bytes("keylime/ima_signatures.txt"),
          ImaResources.bytes("keylime/ima_signatures.txt.binary_runtime_measurements"),
          ImaResources.bytes("keylime/ima_keyrings.txt"),
          ImaResources.bytes("keylime/ima_keyrings.txt.binary_runtime_measurements"),
          ImaResources.bytes("keylime/ima-log-sha384.binary_runtime_measurements"),
          ImaResources.bytes("open-edge-platform/ascii_runtime_measurements"),
          legacyList());

  private static byte[] legacyList() {
    return new ImaListWriter(HashAlg.SHA1, false)
        .legacy(10, new byte[20], "boot_aggregate")
        .legacy(10, HashAlg.SHA1.digest(new byte[] {1}), "/usr/bin/a")
        .binary();
  }

  @Property(tries = 300)
  void randomBytesOnlyFailWithAParseFailure(@ForAll @Size(max = 600) byte[] input) {
    assertOnlyParseFailures(input);
  }

  @Property(tries = 300)
  void truncatedListsOnlyFailWithAParseFailure(
      @ForAll("samples") byte[] sample, @ForAll @IntRange(min = 0, max = 100) int percent) {
    assertOnlyParseFailures(Arrays.copyOf(sample, sample.length * percent / 100));
  }

  @Property(tries = 500)
  void bitFlippedListsOnlyFailWithAParseFailure(
      @ForAll("samples") byte[] sample,
      @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int where,
      @ForAll @IntRange(min = 0, max = 7) int bit) {
    byte[] b = sample.clone();
    b[where % b.length] ^= (byte) (1 << bit);
    assertOnlyParseFailures(b);
  }

  @Property(tries = 100)
  void hugeLengthFieldsAreRejectedBeforeAnyAllocation(
      @ForAll("samples") byte[] sample, @ForAll @IntRange(min = 0, max = 200) int at) {
    // overwrite four bytes with 0x7fffffff: a length field there must be checked, not allocated
    byte[] b = sample.clone();
    int p = at % Math.max(1, b.length - 4);
    b[p] = (byte) 0xff;
    b[p + 1] = (byte) 0xff;
    b[p + 2] = (byte) 0xff;
    b[p + 3] = 0x7f;
    long before = allocated();
    assertOnlyParseFailures(b);
    // generous bound: parsing allocates a few times the input, never the announced 2 GiB
    assertThat(allocated() - before).isLessThan(64L * b.length + (4 << 20));
  }

  @Provide
  Arbitrary<byte[]> samples() {
    return Arbitraries.of(SAMPLES);
  }

  private static void assertOnlyParseFailures(byte[] input) {
    for (Attempt a :
        List.<Attempt>of(
            () -> ImaLog.parse(input),
            () -> ImaLog.parse(input, ImaLog.HashCheck.RECORD),
            () -> ImaLog.parseAscii(input),
            () -> ImaLog.parseBinary(input, ImaLog.HashCheck.RECORD),
            () -> ImaReplay.replay(input, BANKS, ImaReplayMode.PER_BANK),
            () -> ImaReplay.replayBinary(input, HashAlg.SHA256, BANKS, ImaReplayMode.OLD_KERNEL))) {
      try {
        a.run();
      } catch (VerificationException e) {
        assertThat(PARSE_FAILURES).contains(e.failure());
      }
    }
  }

  private static long allocated() {
    var bean = java.lang.management.ManagementFactory.getThreadMXBean();
    if (bean instanceof com.sun.management.ThreadMXBean sun) {
      return sun.getCurrentThreadAllocatedBytes();
    }
    return 0;
  }

  @FunctionalInterface
  private interface Attempt {
    Object run() throws VerificationException;
  }
}
