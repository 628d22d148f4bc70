package dev.vouch.evidence.tdx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.VerificationException;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.dcap.DcapQuoteVerifier;
import dev.vouch.evidence.dcap.IntelPki;
import dev.vouch.evidence.sgx.SgxEvidenceVerifier;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Byte-flip mutation: for each valid sample, a single-bit flip at every byte outside the PEM
 * certificate chain, plus a random sample of positions inside it and in the zero padding (at least
 * 2,000 positions per sample), must be rejected. Zero mutants may verify.
 */
class DcapMutationTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "dcap-qvl/tdx_quote, dcap-qvl/tdx_quote_collateral.json, tdx",
    "sgx/sgx_quote, sgx/sgx_quote_collateral.json, sgx",
    "trustee/tdx_quote_5.dat, , tdx",
    "sgx/occlum_quote.dat, , sgx"
  })
  void everyFlippedByteIsRejected(String sample, String collateral, String kind) throws Exception {
    byte[] quote = TdxVectors.bytes(sample);
    boolean withCollateral = collateral != null;
    Instant at =
        withCollateral
            ? TdxVectors.verificationTime(sample)
            : Instant.parse("2025-06-01T00:00:00Z");
    Expectations x =
        new Expectations(
            Optional.empty(),
            at,
            withCollateral ? List.of(TdxVectors.bytes(collateral)) : List.of());
    DcapQuoteVerifier dcap = new DcapQuoteVerifier(IntelPki.production(), withCollateral);
    EvidenceVerifier verifier =
        kind.equals("tdx") ? new TdxEvidenceVerifier(dcap) : new SgxEvidenceVerifier(dcap);
    verifier.verify(quote, x); // the unmutated sample verifies

    List<Integer> positions = positions(quote);
    assertThat(positions.size()).isGreaterThanOrEqualTo(Math.min(2000, quote.length));
    List<Integer> accepted = new ArrayList<>();
    for (int pos : positions) {
      byte[] m = quote.clone();
      m[pos] ^= (byte) (1 << (pos % 8));
      try {
        verifier.verify(m, x);
        accepted.add(pos);
      } catch (VerificationException expected) {
        // rejected, as it must be
      }
    }
    assertThat(accepted).as("mutated positions that still verified").isEmpty();
  }

  /** Every byte outside the PEM chain, and a seeded random sample of the PEM chain and padding. */
  private static List<Integer> positions(byte[] quote) throws Exception {
    String text = new String(quote, StandardCharsets.ISO_8859_1);
    int pemStart = text.indexOf("-----BEGIN CERTIFICATE-----");
    int pemEnd = text.lastIndexOf("-----END CERTIFICATE-----") + 26;
    TreeSet<Integer> out = new TreeSet<>();
    for (int i = 0; i < pemStart; i++) {
      out.add(i);
    }
    for (int i = pemEnd; i < quote.length && i < pemEnd + 200; i++) {
      out.add(i);
    }
    Random r = new Random(6);
    int target = out.size() + Math.max(2000 - out.size(), 600);
    while (out.size() < target) {
      out.add(pemStart + r.nextInt(pemEnd - pemStart));
    }
    return new ArrayList<>(out);
  }
}
