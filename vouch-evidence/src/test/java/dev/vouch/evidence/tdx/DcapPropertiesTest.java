package dev.vouch.evidence.tdx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.dcap.DcapCollateral;
import dev.vouch.evidence.dcap.DcapQuote;
import dev.vouch.evidence.testing.Mutations;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random, truncated and bit-flipped quotes, CC event logs and collateral make the DCAP parsers
 * throw only {@link VerificationException} with a parse failure code (and the full verifiers only
 * {@link VerificationException}), without allocating far beyond the input size.
 */
class DcapPropertiesTest {
  private static final long ALLOCATION_BASE = 256 * 1024;
  private static final long ALLOCATION_PER_BYTE = 64;
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  @FunctionalInterface
  interface Parser {
    Object parse(byte[] input) throws VerificationException;
  }

  private static final List<Parser> PARSERS =
      List.of(
          DcapQuote::parse,
          CcelLog::parse,
          CcelTable::parse,
          TdxEvidence::parse,
          DcapCollateral::parseFile);

  private static final List<byte[]> SEEDS =
      List.of(
          TdxVectors.bytes("dcap-qvl/tdx_quote"),
          TdxVectors.bytes("dcap-qvl/tdx_quote_outdated"),
          TdxVectors.bytes("sgx/sgx_quote"),
          TdxVectors.bytes("trustee/enclaveIdentity.json"),
          TdxVectors.bytes("trustee/tcbInfo.json"),
          Arrays.copyOf(TdxVectors.bytes("trustee-ccel/CCEL_data_ovmf"), 6000));

  private static final TdxEvidenceVerifier TDX = new TdxEvidenceVerifier();
  private static final Expectations AT =
      new Expectations(
          Optional.empty(),
          Instant.parse("2025-07-01T00:00:00Z"),
          List.of(TdxVectors.bytes("dcap-qvl/tdx_quote_collateral.json")));

  @Provide
  Arbitrary<byte[]> randomBytes() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(1200);
  }

  @Provide
  Arbitrary<byte[]> truncatedSeeds() {
    return Mutations.truncations(SEEDS);
  }

  @Provide
  Arbitrary<byte[]> bitFlippedSeeds() {
    return Mutations.corruptions(SEEDS);
  }

  @Property(tries = 300)
  void randomInputsOnlyFailWithParseCodes(@ForAll("randomBytes") byte[] input) {
    checkEveryParser(input);
  }

  @Property(tries = 300)
  void truncatedInputsOnlyFailWithParseCodes(@ForAll("truncatedSeeds") byte[] input) {
    checkEveryParser(input);
  }

  @Property(tries = 300)
  void bitFlippedInputsOnlyFailWithParseCodes(@ForAll("bitFlippedSeeds") byte[] input) {
    checkEveryParser(input);
  }

  @Property(tries = 200)
  void theFullVerifierOnlyThrowsVerificationExceptions(@ForAll("truncatedSeeds") byte[] input) {
    try {
      TDX.verify(input, AT);
    } catch (VerificationException e) {
      assertThat(e.failure()).isNotNull();
    }
  }

  private static void checkEveryParser(byte[] input) {
    for (Parser p : PARSERS) {
      run(p, input);
      long before = THREADS.getCurrentThreadAllocatedBytes();
      run(p, input);
      long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
      assertThat(allocated)
          .as("bytes allocated parsing %d input bytes", input.length)
          .isLessThanOrEqualTo(ALLOCATION_BASE + ALLOCATION_PER_BYTE * input.length);
    }
  }

  private static void run(Parser p, byte[] input) {
    try {
      p.parse(input);
    } catch (VerificationException e) {
      assertThat(e.failure()).isIn(Failure.TRUNCATED, Failure.MALFORMED, Failure.UNSUPPORTED);
    }
  }
}
