package dev.vouch.evidence.dcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.sgx.SgxClaims;
import dev.vouch.evidence.sgx.SgxEvidenceVerifier;
import dev.vouch.evidence.tdx.TdxVectors;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Intel TCB info version 2 (PCS API v3) beside version 3, over a real SGX quote and Intel-signed v2
 * collateral of its platform (FMSPC 00906ea10000, May-June 2020; vectors/tdx/sgx-v2). The only root
 * CRL at hand was issued in 2026, so the quote is judged in 2026: every signature verifies to the
 * pinned Intel root and the long-expired TCB info, QE identity and PCK CRL are reported, not
 * refused.
 */
class TcbInfoV2Test {
  private static final String DIR = "sgx-v2/";
  private static final Instant AT = Instant.parse("2026-06-01T00:00:00Z");
  // the earliest nextUpdate among the v2 collateral: the QE identity (17:49:21, as the PCK CRL)
  private static final Instant EXPIRED = Instant.parse("2020-06-17T17:49:21Z");

  private static byte[] file(String name) {
    return TdxVectors.bytes(DIR + name);
  }

  private static List<byte[]> collateral() {
    return new ArrayList<>(
        List.of(
            file("tcbinfo-00906ea10000.json"),
            file("qe-identity.json"),
            file("tcb-signing-chain.pem"),
            file("root-ca.crl.pem"),
            file("pck-processor.crl.pem")));
  }

  private static VerifiedEvidence verify(List<byte[]> collateral, Instant at)
      throws VerificationException {
    return new SgxEvidenceVerifier()
        .verify(file("quote.bin"), new Expectations(Optional.empty(), at, collateral));
  }

  private static void assertRefused(List<byte[]> collateral, Instant at, Failure failure) {
    assertThatThrownBy(() -> verify(collateral, at))
        .isInstanceOf(VerificationException.class)
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(failure);
  }

  @Test
  void parsesIntelsVersion2TcbInfoIntoTheVersion3Shape() throws Exception {
    TcbInfo t = DcapCollateral.parseFile(file("tcbinfo-00906ea10000.json")).tcbInfos().get(0);
    assertThat(t.id()).isEqualTo("SGX");
    assertThat(t.version()).isEqualTo(2);
    assertThat(t.tcbEvaluationDataNumber()).isEqualTo(8);
    assertThat(t.nextUpdate()).isEqualTo(Instant.parse("2020-06-17T17:49:24Z"));
    assertThat(t.tdxModule()).isEmpty();
    assertThat(t.tcbLevels()).hasSize(12);
    TcbInfo.Level top = t.tcbLevels().get(0);
    assertThat(top.sgxComponents())
        .containsExactly(14, 14, 2, 4, 1, 128, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    assertThat(top.pceSvn()).isEqualTo(10);
    assertThat(top.tdxComponents()).isEmpty();
    assertThat(top.status()).isEqualTo(TcbStatus.SW_HARDENING_NEEDED);
  }

  @Test
  void verifiesARealQuoteAgainstVersion2CollateralAndReportsItsExpiry() throws Exception {
    VerifiedEvidence v = verify(collateral(), AT);
    // PCK: CPUSVN 0f0f0205ff8007..., PCESVN 10: the first level it reaches is the SWHardeningNeeded
    // one (14,14,2,4,1,128,7 / PCESVN 10); QE ISVSVN 5 is UpToDate
    assertThat(v.claims().get(SgxClaims.TCB_STATUS)).isEqualTo("SWHardeningNeeded");
    assertThat(v.claims().get(SgxClaims.TCB_DATE)).isEqualTo("2019-12-11T00:00:00Z");
    assertThat(v.claims().get(SgxClaims.TCB_EVALUATION_NUMBER)).isEqualTo(8L);
    assertThat(v.claims().get(SgxClaims.FMSPC)).isEqualTo("00906ea10000");
    assertThat(v.claims().get(SgxClaims.REVOCATION_CHECKED)).isEqualTo(true);
    assertThat(v.claims().get(SgxClaims.COLLATERAL_EXPIRATION_STATUS)).isEqualTo("1");
    assertThat(v.claims().get(SgxClaims.COLLATERAL_EXPIRED_SINCE)).isEqualTo(EXPIRED.toString());
    assertThat(v.claims().get(SgxClaims.COLLATERAL_OVERDUE_SECONDS))
        .isEqualTo(java.time.Duration.between(EXPIRED, AT).toSeconds());
    // without a policy, expiry is refused with the stable code
    assertThatThrownBy(() -> ExpiredCollateral.refuse(v))
        .isInstanceOf(VerificationException.class)
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.COLLATERAL_EXPIRED);
  }

  @Test
  void refusesVersion2TcbInfoWithAFlippedSignatureByte() {
    List<byte[]> c = collateral();
    byte[] tcb = c.get(0).clone();
    String s = new String(tcb, StandardCharsets.US_ASCII);
    int sig = s.indexOf("\"signature\":\"") + "\"signature\":\"".length();
    tcb[sig + 10] = (byte) (tcb[sig + 10] == '0' ? '1' : '0');
    c.set(0, tcb);
    assertRefused(c, AT, Failure.SIGNATURE_INVALID);
  }

  @Test
  void refusesVersion2TcbInfoWhoseSignedBytesChanged() {
    List<byte[]> c = collateral();
    String s = new String(c.get(0), StandardCharsets.US_ASCII);
    c.set(
        0,
        s.replaceFirst("\"tcbStatus\":\"OutOfDate\"", "\"tcbStatus\":\"UpToDate\"")
            .getBytes(StandardCharsets.US_ASCII));
    assertRefused(c, AT, Failure.SIGNATURE_INVALID);
  }

  @Test
  void refusesTruncatedVersion2TcbInfo() {
    byte[] tcb = file("tcbinfo-00906ea10000.json");
    assertThatThrownBy(() -> DcapCollateral.parseFile(Arrays.copyOf(tcb, tcb.length / 2)))
        .isInstanceOf(VerificationException.class)
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.MALFORMED);
  }

  @Test
  void refusesVersion2TcbInfoCarryingAnId() {
    byte[] tcb = file("tcbinfo-00906ea10000.json");
    String s =
        new String(tcb, StandardCharsets.US_ASCII)
            .replace("{\"version\":2,", "{\"id\":\"SGX\",\"version\":2,");
    assertThatThrownBy(() -> DcapCollateral.parseFile(s.getBytes(StandardCharsets.US_ASCII)))
        .isInstanceOf(VerificationException.class)
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.MALFORMED);
  }

  @Test
  void refusesCollateralNotYetIssuedAtTheVerificationTime() {
    // in June 2020 the only root CRL at hand (2026) did not exist yet: not expiry, a hard failure
    assertRefused(collateral(), Instant.parse("2020-06-01T00:00:00Z"), Failure.COLLATERAL_EXPIRED);
  }

  @Test
  void refusesAQuoteWhoseRootCrlIsMissing() {
    List<byte[]> c = collateral();
    c.remove(3);
    assertRefused(c, AT, Failure.COLLATERAL_MISSING);
  }
}
