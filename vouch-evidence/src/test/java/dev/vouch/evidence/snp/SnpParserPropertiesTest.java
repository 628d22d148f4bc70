package dev.vouch.evidence.snp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.testing.Mutations;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random, truncated and corrupted reports, evidence JSON, certificates and CRLs make the SNP
 * parsers throw only {@link VerificationException} with a parse code, never allocate far beyond
 * what the input justifies, and make the full verifier throw nothing but {@link
 * VerificationException}.
 */
class SnpParserPropertiesTest {
  private static final long ALLOCATION_BASE = 256 * 1024;
  private static final long ALLOCATION_PER_BYTE = 64;

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  @FunctionalInterface
  interface Parser {
    Object parse(byte[] input) throws VerificationException;
  }

  private static final List<Parser> PARSERS =
      List.of(SnpReport::parse, SnpEvidence::parse, AmdCertificate::parse, AmdCrl::parse);

  private static final List<byte[]> SEEDS =
      List.of(
          SnpSamples.bytes("trustee/test-report.bin"),
          SnpSamples.bytes("trustee/test-vlek-report.bin"),
          SnpSamples.bytes("virtee-sev/report_milan.hex"),
          SnpSamples.bytes("trustee-e2e/evidence.json"),
          SnpSamples.bytes("trustee/test-vcek.der"),
          SnpSamples.bytes("virtee-sev/cert_chain_milan"));

  private static final Expectations COLLATERAL =
      new Expectations(
          Optional.empty(),
          SnpSamples.AT,
          List.of(
              SnpSamples.bytes("trustee/test-vcek.der"),
              SnpSamples.bytes("trustee/test-vlek.der"),
              SnpSamples.bytes("virtee-sev/vcek_milan.der")));

  @Provide
  Arbitrary<byte[]> randomBytes() {
    return Arbitraries.oneOf(
        Arbitraries.bytes().array(byte[].class).ofMaxSize(1300),
        Arbitraries.bytes().array(byte[].class).ofSize(SnpReport.LENGTH));
  }

  @Provide
  Arbitrary<byte[]> truncatedSeeds() {
    return Mutations.truncations(SEEDS);
  }

  @Provide
  Arbitrary<byte[]> corruptedSeeds() {
    return Mutations.corruptions(SEEDS);
  }

  @Property(tries = 300)
  void randomInputsOnlyFailWithParseCodes(@ForAll("randomBytes") byte[] input) {
    check(input);
  }

  @Property(tries = 300)
  void truncatedInputsOnlyFailWithParseCodes(@ForAll("truncatedSeeds") byte[] input) {
    check(input);
  }

  @Property(tries = 500)
  void corruptedInputsOnlyFailWithParseCodes(@ForAll("corruptedSeeds") byte[] input) {
    check(input);
  }

  private static void check(byte[] input) {
    for (Parser p : PARSERS) {
      run(p, input);
      long before = THREADS.getCurrentThreadAllocatedBytes();
      run(p, input);
      long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
      assertThat(allocated)
          .as("bytes allocated parsing %d input bytes", input.length)
          .isLessThanOrEqualTo(ALLOCATION_BASE + ALLOCATION_PER_BYTE * input.length);
    }
    // collateral recognition never throws: what is not a certificate or CRL is ignored
    SnpCollateral.ParsedFile.parse(input);
    try {
      SnpSamples.VERIFIER.verify(input, COLLATERAL);
    } catch (VerificationException e) {
      assertThat(e.failure()).isNotNull();
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
