package dev.vouch.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which AK a verifier believes, and the claim that says so. */
class TpmAkTrustTest {

  private static TpmEvidenceBundle bundle(QuoteSample s) throws VerificationException {
    return new TpmEvidenceBundle(
        s.ak(),
        Optional.empty(),
        List.of(),
        s.quotes().stream()
            .map(q -> new TpmEvidenceBundle.Quote(q.attest(), q.signature()))
            .toList(),
        s.pcrs(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty());
  }

  @Test
  void aVerifierTrustingTheSuppliedAkSaysSoInItsClaims() throws Exception {
    QuoteSample s = QuoteSample.gceCos85NoNonce();
    var claims =
        TpmEvidenceVerifier.trustingSuppliedAk().verify(bundle(s), s.expectations()).claims();
    assertThat(claims.get(TpmClaims.AK_TRUST)).isEqualTo("supplied");
    assertThat(claims.get(TpmClaims.AK_CERTIFIED)).isEqualTo(false);
  }

  @Test
  void anEnrolledAkVerifierAcceptsQuotesOfThatAk() throws Exception {
    QuoteSample s = QuoteSample.gceCos85NoNonce();
    var claims =
        TpmEvidenceVerifier.forEnrolledAk(s.ak()).verify(bundle(s), s.expectations()).claims();
    assertThat(claims.get(TpmClaims.AK_TRUST)).isEqualTo("enrolled");
  }

  @Test
  void anEnrolledAkVerifierRefusesEvidenceOfAnotherAkEvenWhenItsQuotesVerify() {
    QuoteSample enrolled = QuoteSample.gceCos85NoNonce();
    QuoteSample other = QuoteSample.goAttestationWindows();
    VerificationException e =
        catchThrowableOfType(
            VerificationException.class,
            () ->
                TpmEvidenceVerifier.forEnrolledAk(enrolled.ak())
                    .verify(bundle(other), other.expectations()));
    assertThat(e).isNotNull();
    assertThat(e.failure()).isEqualTo(Failure.KEY_MISMATCH);
  }
}
