package dev.vouch.evidence.tdx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.dcap.DcapQuoteVerifier;
import dev.vouch.evidence.dcap.SyntheticDcap;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Trustee's TDX evidence wrapper {@code {"quote", "cc_eventlog"}}: Trustee's attester sends {@code
 * "cc_eventlog": ""} for a guest without a CCEL, and Trustee's verifier reads it as no log. Vouch
 * agrees: the quote verifies exactly as without the member.
 */
class TdxTrusteeWrapperTest {
  private static final Expectations AT =
      new Expectations(Optional.empty(), Instant.parse("2025-07-01T00:00:00Z"));

  private static byte[] wrapper(byte[] quote, String ccEventlogMember) {
    return ("{\"quote\":\""
            + Base64.getEncoder().encodeToString(quote)
            + "\""
            + ccEventlogMember
            + "}")
        .getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void anEmptyCcEventlogStringIsNoLog() throws Exception {
    byte[] quote = TdxVectors.bytes("dcap-qvl/tdx_quote");
    TdxEvidence e = TdxEvidence.parse(wrapper(quote, ",\"cc_eventlog\":\"\""));
    assertThat(e.ccEventLog()).isEmpty();
    assertThat(e.quote()).isEqualTo(quote);
  }

  @Test
  void aQuoteWithAnEmptyCcEventlogVerifiesAsTheSameQuoteWithoutOne() throws Exception {
    SyntheticDcap pki = new SyntheticDcap(TdxVectors.bytes("dcap-qvl/tdx_quote"));
    byte[] quote = pki.quote(b -> b);
    TdxEvidenceVerifier v = new TdxEvidenceVerifier(new DcapQuoteVerifier(pki.pki(), false));
    VerifiedEvidence empty = v.verify(wrapper(quote, ",\"cc_eventlog\":\"\""), AT);
    VerifiedEvidence absent = v.verify(wrapper(quote, ""), AT);
    VerifiedEvidence nulled = v.verify(wrapper(quote, ",\"cc_eventlog\":null"), AT);
    assertThat(empty.claims().asMap())
        .isEqualTo(absent.claims().asMap())
        .isEqualTo(nulled.claims().asMap())
        .doesNotContainKey(TdxClaims.CCEL_EVENTS);
  }

  @Test
  void aCcEventlogThatIsNotBase64OrNotTextIsStillMalformed() {
    byte[] quote = TdxVectors.bytes("dcap-qvl/tdx_quote");
    assertThatThrownBy(() -> TdxEvidence.parse(wrapper(quote, ",\"cc_eventlog\":\"!!\"")))
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.MALFORMED);
    assertThatThrownBy(() -> TdxEvidence.parse(wrapper(quote, ",\"cc_eventlog\":7")))
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.MALFORMED);
  }
}
