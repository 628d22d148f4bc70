package dev.vouch.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.testing.Mutations;
import java.lang.management.ManagementFactory;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random, truncated and bit-flipped inputs make the TPM parsers throw only {@link
 * VerificationException} with a parse failure code, and never allocate far beyond what the input
 * size justifies (a hostile length field must not cause a large allocation).
 */
class ParserPropertiesTest {

  /** Fixed overhead (exception, stack trace, small objects) plus a per-input-byte allowance. */
  private static final long ALLOCATION_BASE = 64 * 1024;

  private static final long ALLOCATION_PER_BYTE = 64;

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  @FunctionalInterface
  interface Parser {
    Object parse(byte[] input) throws VerificationException;
  }

  private static final List<Parser> PARSERS =
      List.of(
          TpmAttest::parse,
          TpmPublic::parse,
          TpmSignature::parse,
          PcrSelection::parse,
          PcrFiles::fromSerialized,
          AkKeys::parse,
          TpmEvidenceBundle::parse);

  private static final List<byte[]> SEEDS =
      List.of(
          Vectors.bytes("swtpm/ecc-ak/quote.msg"),
          Vectors.bytes("swtpm/rsa-ak/quote.msg"),
          Vectors.bytes("tpm-quote/go-tpm-tools/gce-cos-85-no-nonce/quote_sha1.tpms_attest"),
          Vectors.bytes("swtpm/ecc-ak/ak.tpm2b_public"),
          Vectors.bytes("swtpm/ecc-ak/ak.pem"),
          Vectors.bytes("tpm-quote/go-tpm-tools/gce-cos-85-no-nonce/ak_cert.der"),
          Vectors.bytes("tpm-quote/go-tpm-tools/gce-cos-85-no-nonce/ak_pub.tpmt_public"),
          Vectors.bytes("swtpm/ecc-ak/quote.sig"),
          Vectors.bytes("swtpm/rsa-ak/quote.sig"),
          Vectors.bytes("swtpm/rsa-ak/pcrs.out"),
          Vectors.bytes("tpm-quote/keylime/test-data-files/quotepcr.out"),
          java.util.HexFormat.of().parseHex("00000002000b03ff0400000403010000"));

  @Provide
  Arbitrary<byte[]> randomBytes() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(700);
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

  @Property(tries = 500)
  void bitFlippedInputsOnlyFailWithParseCodes(@ForAll("bitFlippedSeeds") byte[] input) {
    checkEveryParser(input);
  }

  private static void checkEveryParser(byte[] input) {
    for (Parser p : PARSERS) {
      // first run loads classes; the second run is the one measured
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
