package dev.vouch.evidence.cca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.util.Arrays;
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
 * Random, truncated and corrupted inputs to the CBOR decoder, the CCA verifier and the token
 * parsers: only VerificationException with a parse failure, and no allocation beyond what the input
 * length justifies.
 */
class CborPropertiesTest {
  private static final Set<Failure> PARSE_FAILURES =
      Set.of(Failure.TRUNCATED, Failure.MALFORMED, Failure.UNSUPPORTED);
  private static final List<byte[]> SAMPLES =
      List.of(
          CcaVectors.bytes(CcaVectors.TRUSTEE_TOKEN),
          CcaVectors.bytes(CcaVectors.RMM_TOKEN),
          CcaVectors.bytes(CcaVectors.PSA_2_0),
          CcaVectors.bytes(CcaVectors.PSA_IOT_1));

  @Property(tries = 500)
  void randomBytesOnlyFailWithAParseFailure(@ForAll @Size(max = 600) byte[] input) {
    assertOnlyParseFailures(input);
  }

  @Property(tries = 300)
  void truncatedTokensOnlyFailWithAParseFailure(
      @ForAll("samples") byte[] sample, @ForAll @IntRange(min = 0, max = 99) int percent) {
    assertOnlyParseFailures(Arrays.copyOf(sample, sample.length * percent / 100));
  }

  @Property(tries = 200)
  void hugeLengthsAreRejectedBeforeAnyAllocation(
      @ForAll("samples") byte[] sample, @ForAll @IntRange(min = 0, max = 3000) int at) {
    // a 4-byte length head (major type 2, 3, 4 or 5) announcing 2 GiB in the middle of a token
    byte[] b = sample.clone();
    int p = at % (b.length - 5);
    b[p] = (byte) (0x5a + 0x20 * (at % 4));
    b[p + 1] = 0x7f;
    b[p + 2] = (byte) 0xff;
    b[p + 3] = (byte) 0xff;
    b[p + 4] = (byte) 0xff;
    long before = allocated();
    assertOnlyParseFailures(b);
    assertThat(allocated() - before).isLessThan(64L * b.length + (4 << 20));
  }

  @Provide
  Arbitrary<byte[]> samples() {
    return Arbitraries.of(SAMPLES);
  }

  private static void assertOnlyParseFailures(byte[] input) {
    for (Attempt a :
        List.<Attempt>of(
            () -> Cbor.decode(input, "input"),
            () -> CcaToken.parse(input),
            () -> CoseSign1.decode(input, CoseSign1.Tagging.OPTIONAL, "input"),
            () -> CcaPlatformClaims.parse(input),
            () -> CcaRealmClaims.parse(input))) {
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
