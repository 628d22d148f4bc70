package dev.vouch.agent.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vouch.agent.tpm.KeyTemplate;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrSelection;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmAlg;
import dev.vouch.evidence.tpm.TpmAttest;
import dev.vouch.evidence.tpm.TpmPublic;
import dev.vouch.evidence.tpm.TpmQuoteVerifier;
import dev.vouch.evidence.tpm.VerifiedQuote;
import java.security.SecureRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SimulatedTpmTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final PcrSelection FIRMWARE =
      PcrSelection.of(HashAlg.SHA256, 0, 1, 2, 3, 4, 5, 6, 7);

  @Test
  void theAkIsTheTcgTemplateWithItsPointAndRoundTripsAsATpm2bPublic() throws Exception {
    SimulatedTpm tpm = new SimulatedTpm(RANDOM);

    TpmPublic parsed = TpmPublic.parse(tpm.akTpm2bPublic());

    assertThat(parsed).isEqualTo(tpm.akPublic());
    assertThat(parsed.isRestrictedSigningKey()).isTrue();
    assertThat(parsed.signingScheme().orElseThrow().scheme()).isEqualTo(TpmAlg.ECDSA);
    assertThat(parsed.signingScheme().orElseThrow().hash()).contains(HashAlg.SHA256);
    // the template's fields up to the unique point are kept byte for byte
    byte[] template = KeyTemplate.akEccP256().tpmtPublic();
    assertThat(Arrays.copyOf(parsed.encoded(), template.length - 4))
        .isEqualTo(Arrays.copyOf(template, template.length - 4));
    TpmPublic.EccPoint point = (TpmPublic.EccPoint) parsed.unique();
    assertThat(point.x()).hasSize(32);
    assertThat(point.y()).hasSize(32);
    // name = nameAlg id || SHA-256(TPMT_PUBLIC)
    byte[] name = tpm.akName();
    assertThat(Arrays.copyOf(name, 2)).containsExactly(0x00, 0x0b);
    assertThat(Arrays.copyOfRange(name, 2, 34)).isEqualTo(HashAlg.SHA256.digest(parsed.encoded()));
    assertThat(AkKeys.parse(tpm.akTpm2bPublic()).sameKey(tpm.akKey().publicKey())).isTrue();
  }

  @Test
  void aQuotePassesTheVerifierWithTheNonceAndTheValuesItCovers() throws Exception {
    SimulatedTpm tpm = new SimulatedTpm(RANDOM);
    tpm.extend(7, HashAlg.SHA256.digest(new byte[] {7}));
    byte[] nonce = new byte[32];
    RANDOM.nextBytes(nonce);

    SimulatedTpm.Quote q = tpm.quote(nonce, FIRMWARE);
    VerifiedQuote v =
        TpmQuoteVerifier.verify(
            q.attest(), q.signature(), tpm.akKey(), q.values(), Expectations.withNonce(nonce));

    TpmAttest attest = TpmAttest.parse(q.attest());
    assertThat(attest.qualifiedSigner()).isEqualTo(tpm.akName());
    assertThat(attest.extraData()).isEqualTo(nonce);
    assertThat(attest.firmwareVersion()).isEqualTo(SimulatedTpm.FIRMWARE_VERSION);
    assertThat(v.pcrs().get(HashAlg.SHA256, 7).orElseThrow())
        .isEqualTo(
            PcrValues.extend(HashAlg.SHA256, new byte[32], HashAlg.SHA256.digest(new byte[] {7})));
    assertThat(v.pcrs().get(HashAlg.SHA256, 0).orElseThrow()).isEqualTo(new byte[32]);
  }

  @Test
  void anotherNonceOrChangedValuesFailTheVerifier() throws Exception {
    SimulatedTpm tpm = new SimulatedTpm(RANDOM);
    byte[] nonce = new byte[] {1, 2, 3};
    SimulatedTpm.Quote q = tpm.quote(nonce, FIRMWARE);

    assertThat(
            failure(
                () ->
                    TpmQuoteVerifier.verify(
                        q.attest(),
                        q.signature(),
                        tpm.akKey(),
                        q.values(),
                        Expectations.withNonce(new byte[] {1, 2, 4}))))
        .isEqualTo(Failure.NONCE_MISMATCH);
    tpm.extend(3, new byte[32]);
    assertThat(
            failure(
                () ->
                    TpmQuoteVerifier.verify(
                        q.attest(),
                        q.signature(),
                        tpm.akKey(),
                        tpm.read(FIRMWARE),
                        Expectations.withNonce(nonce))))
        .isEqualTo(Failure.PCR_DIGEST_MISMATCH);
    assertThat(
            failure(
                () ->
                    TpmQuoteVerifier.verify(
                        q.attest(),
                        q.signature(),
                        new SimulatedTpm(RANDOM).akKey(),
                        q.values(),
                        Expectations.withNonce(nonce))))
        .isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void aRebootCountsInTheQuoteAndClearsTheRegisters() throws Exception {
    SimulatedTpm tpm = new SimulatedTpm(RANDOM);
    tpm.extend(0, new byte[32]);
    long before =
        TpmAttest.parse(tpm.quote(new byte[] {1}, FIRMWARE).attest()).clockInfo().resetCount();

    tpm.reboot();

    SimulatedTpm.Quote q = tpm.quote(new byte[] {1}, FIRMWARE);
    assertThat(TpmAttest.parse(q.attest()).clockInfo().resetCount()).isEqualTo(before + 1);
    assertThat(q.values().get(HashAlg.SHA256, 0).orElseThrow()).isEqualTo(new byte[32]);
  }

  @Test
  void refusesABankItDoesNotHave() {
    SimulatedTpm tpm = new SimulatedTpm(RANDOM);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> tpm.quote(new byte[] {1}, PcrSelection.of(HashAlg.SHA1, 0)))
        .withMessageContaining("sha1");
  }

  private interface Check {
    Object run() throws Exception;
  }

  private static Failure failure(Check c) {
    return catchThrowableOfType(VerificationException.class, c::run).failure();
  }
}
