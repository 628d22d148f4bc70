package dev.vouch.evidence.snp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.Expectations;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Real reports with the wrong key, chain, time or nonce fail with the precise code. */
class SnpNegativeVectorTest {
  private static final SnpEvidenceVerifier V = SnpSamples.VERIFIER;

  private static byte[] trusteeReport() {
    return SnpSamples.bytes("trustee/test-report.bin");
  }

  private static Expectations with(String... collateral) {
    return new Expectations(
        Optional.empty(), SnpSamples.AT, Arrays.stream(collateral).map(SnpSamples::bytes).toList());
  }

  private static Failure failure(byte[] evidence, Expectations e) {
    try {
      V.verify(evidence, e);
    } catch (VerificationException x) {
      return x.failure();
    }
    throw new AssertionError("verified, but should have failed");
  }

  @Test
  void trusteesInvalidLegacyVcekDoesNotChainToTheMilanAsk() {
    assertThat(failure(trusteeReport(), with("trustee/test-vcek-invalid-legacy.der")))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void trusteesInvalidNewVcekDoesNotChainToTheMilanAsk() {
    assertThat(failure(trusteeReport(), with("trustee/test-vcek-invalid-new.der")))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void aGenuineVcekOfAnotherChipIsAKeyMismatch() {
    assertThatThrownBy(() -> V.verify(trusteeReport(), with("virtee-sev/vcek_milan.der")))
        .isInstanceOf(VerificationException.class)
        .extracting(e -> ((VerificationException) e).failure())
        .isEqualTo(Failure.KEY_MISMATCH);
  }

  @Test
  void theRightVcekIsPickedAmongWrongOnes() throws Exception {
    Expectations e =
        with(
            "trustee/test-vcek-invalid-legacy.der",
            "virtee-sev/vcek_milan.der",
            "trustee/test-vcek.der",
            "trustee/test-vcek-invalid-new.der",
            "trustee/test-vlek.der");
    assertThat(V.verify(trusteeReport(), e).claims().get(SnpClaims.SIGNING_KEY)).isEqualTo("vcek");
  }

  @Test
  void aReportWithoutAnyVcekNeedsCollateralAndNamesTheKdsUrl() {
    assertThatThrownBy(() -> V.verify(trusteeReport(), with()))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.COLLATERAL_MISSING));
  }

  @Test
  void aVlekSignedReportWithOnlyAVcekIsAKeyMismatch() {
    assertThat(
            failure(
                SnpSamples.bytes("trustee/test-vlek-report.bin"), with("trustee/test-vcek.der")))
        .isEqualTo(Failure.KEY_MISMATCH);
  }

  @Test
  void theVlekHasExpiredByNow() {
    Expectations now =
        new Expectations(
            Optional.empty(),
            Instant.parse("2026-01-01T00:00:00Z"),
            with("trustee/test-vlek.der").collateral());
    assertThat(failure(SnpSamples.bytes("trustee/test-vlek-report.bin"), now))
        .isEqualTo(Failure.CERT_EXPIRED);
  }

  @Test
  void aVcekIsNotValidBeforeItWasIssued() {
    Expectations early =
        new Expectations(
            Optional.empty(),
            Instant.parse("2022-01-01T00:00:00Z"),
            with("trustee/test-vcek.der").collateral());
    assertThat(failure(trusteeReport(), early)).isEqualTo(Failure.CERT_EXPIRED);
  }

  @Test
  void flippingBit7OfByte21BreaksTheSignature() {
    byte[] r = trusteeReport();
    r[21] ^= (byte) 0x80;
    assertThat(failure(r, with("trustee/test-vcek.der"))).isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void aCorruptedVcekIsRejected() {
    byte[] vcek = SnpSamples.bytes("virtee-sev/vcek_milan.der");
    vcek[40] ^= (byte) 0xff;
    byte[] report = SnpSamples.bytes("virtee-sev/report_milan.hex");
    Expectations e = new Expectations(Optional.empty(), SnpSamples.AT, List.of(vcek));
    // the flip lands in the signed body: the ASK's signature no longer matches
    assertThat(failure(report, e)).isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void aVcekWhoseSignedBodyChangedDoesNotChain() {
    byte[] vcek = SnpSamples.bytes("trustee/test-vcek.der");
    vcek[300] ^= 0x01; // inside the issuer/subject names area of the TBS, still parseable
    Expectations e = new Expectations(Optional.empty(), SnpSamples.AT, List.of(vcek));
    assertThat(failure(trusteeReport(), e)).isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void aReportDataThatIsNotTheNonceIsRejected() {
    Expectations e =
        new Expectations(
            Optional.of(new byte[] {1, 2, 3}),
            SnpSamples.AT,
            with("trustee/test-vcek.der").collateral());
    assertThat(failure(trusteeReport(), e)).isEqualTo(Failure.REPORT_DATA_MISMATCH);
  }

  @Test
  void theNonceMayFillTheFrontOfReportDataWithZerosAfterIt() throws Exception {
    byte[] nonce = Hex.decode("ec6c52d7533cc2c4f45be7849cf112ab82b2009fe7bd43e71ed08c14400ad7e2");
    Expectations e =
        new Expectations(
            Optional.of(nonce), SnpSamples.AT, with("trustee/test-vcek.der").collateral());
    assertThat(V.verify(trusteeReport(), e).claims().get(SnpClaims.REPORT_DATA))
        .asString()
        .startsWith(Hex.encode(nonce));
    byte[] shorter = Arrays.copyOf(nonce, 31);
    Expectations e2 =
        new Expectations(
            Optional.of(shorter), SnpSamples.AT, with("trustee/test-vcek.der").collateral());
    assertThat(failure(trusteeReport(), e2)).isEqualTo(Failure.REPORT_DATA_MISMATCH);
  }

  @Test
  void aNonceLongerThanReportDataNeverMatches() {
    Expectations e =
        new Expectations(
            Optional.of(new byte[65]), SnpSamples.AT, with("trustee/test-vcek.der").collateral());
    assertThat(failure(trusteeReport(), e)).isEqualTo(Failure.REPORT_DATA_MISMATCH);
  }

  @Test
  void aSuppliedArkIsNotTrustedForBeingThere() {
    // the Milan chain file (ASK + ARK) adds nothing the pinned anchors lack: still a wrong VCEK
    assertThat(
            failure(
                trusteeReport(),
                with("virtee-sev/cert_chain_milan", "trustee/test-vcek-invalid-legacy.der")))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void aTurinVcekDoesNotFitAVersion2MilanReport() {
    // version 2 reports carry no CPUID, so the key's chain names the product (Turin here), and
    // the Turin VCEK's TCB extensions do not match the report
    assertThat(
            failure(
                trusteeReport(), with("virtee-sev/vcek_turin.der", "virtee-sev/cert_chain_turin")))
        .isEqualTo(Failure.KEY_MISMATCH);
  }

  @Test
  void theHexFormNeedsAnEvenNumberOfDigits() {
    byte[] hex =
        (new String(SnpSamples.bytes("virtee-sev/report_milan.hex"), StandardCharsets.US_ASCII)
                + "0")
            .getBytes(StandardCharsets.US_ASCII);
    assertThat(failure(hex, with("virtee-sev/vcek_milan.der"))).isEqualTo(Failure.MALFORMED);
  }
}
