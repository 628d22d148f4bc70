package dev.vouch.evidence.tdx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.dcap.CollateralSource;
import dev.vouch.evidence.dcap.DcapQuoteVerifier;
import dev.vouch.evidence.sgx.SgxEvidenceVerifier;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A quote of the other kind is refused as the wrong kind before any collateral is looked up:
 * Trustee's verifiers report an SGX quote sent as {@code tdx} as such, where Vouch used to ask its
 * collateral source first and answer {@code COLLATERAL_MISSING}.
 */
class QuoteKindBeforeCollateralTest {
  private static final Expectations NO_FILES =
      new Expectations(Optional.empty(), Instant.parse("2025-07-01T00:00:00Z"));

  private final AtomicInteger lookups = new AtomicInteger();
  // a PCCS that has nothing: any lookup would end in COLLATERAL_MISSING
  private final CollateralSource emptyPccs =
      q -> {
        lookups.incrementAndGet();
        throw new VerificationException(Failure.COLLATERAL_MISSING, "no collateral here");
      };

  @Test
  void anSgxQuoteSentAsTdxIsTheWrongKindAndNoCollateralIsAskedFor() {
    byte[] sgx = TdxVectors.bytes("sgx/sgx_quote");
    TdxEvidenceVerifier tdx =
        new TdxEvidenceVerifier(DcapQuoteVerifier.defaults(), Optional.of(emptyPccs));
    byte[] trusteeJson =
        ("{\"quote\":\"" + Base64.getEncoder().encodeToString(sgx) + "\",\"cc_eventlog\":null}")
            .getBytes(StandardCharsets.UTF_8);
    for (byte[] evidence : new byte[][] {sgx, trusteeJson}) {
      assertThatThrownBy(() -> tdx.verify(evidence, NO_FILES))
          .isInstanceOfSatisfying(
              VerificationException.class,
              e -> {
                assertThat(e.failure()).isEqualTo(Failure.UNSUPPORTED);
                assertThat(e.getMessage()).contains("SGX quote is not TDX evidence");
              });
    }
    assertThat(lookups).hasValue(0);
  }

  @Test
  void aTdxQuoteSentAsSgxIsTheWrongKindAndNoCollateralIsAskedFor() {
    SgxEvidenceVerifier sgx =
        new SgxEvidenceVerifier(DcapQuoteVerifier.defaults(), Optional.of(emptyPccs));
    assertThatThrownBy(() -> sgx.verify(TdxVectors.bytes("dcap-qvl/tdx_quote"), NO_FILES))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> {
              assertThat(e.failure()).isEqualTo(Failure.UNSUPPORTED);
              assertThat(e.getMessage()).contains("TDX quote is not SGX evidence");
            });
    assertThat(lookups).hasValue(0);
  }

  @Test
  void aQuoteOfTheRightKindStillAsksTheSourceWhenNoFilesAreGiven() {
    TdxEvidenceVerifier tdx =
        new TdxEvidenceVerifier(DcapQuoteVerifier.defaults(), Optional.of(emptyPccs));
    assertThatThrownBy(() -> tdx.verify(TdxVectors.bytes("dcap-qvl/tdx_quote"), NO_FILES))
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.COLLATERAL_MISSING);
    assertThat(lookups).hasValue(1);
  }
}
