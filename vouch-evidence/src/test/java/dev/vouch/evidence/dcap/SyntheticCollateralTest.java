package dev.vouch.evidence.dcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tdx.TdxVectors;
import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Revocation, expiry and TCB-level rules over a real TDX quote and Intel's real TCB info and QE
 * identity, re-signed under a throw-away PKI so that certificates can be revoked and levels edited.
 */
class SyntheticCollateralTest {
  private static final Instant AT = Instant.parse("2025-07-01T00:00:00Z");
  private static final Instant CRL_FROM = Instant.parse("2025-06-01T00:00:00Z");
  private static final Instant CRL_TO = Instant.parse("2025-08-01T00:00:00Z");

  private static SyntheticDcap pki;
  private static String tcbInfo;
  private static String qeIdentity;
  private static DcapQuoteVerifier verifier;

  @BeforeAll
  static void setUp() throws Exception {
    pki = new SyntheticDcap(TdxVectors.bytes("dcap-qvl/tdx_quote"));
    JsonNode bundle =
        new ObjectMapper().readTree(TdxVectors.bytes("dcap-qvl/tdx_quote_collateral.json"));
    tcbInfo = bundle.get("tcb_info").asText();
    qeIdentity = bundle.get("qe_identity").asText();
    verifier = new DcapQuoteVerifier(pki.pki(), true);
  }

  private static VerifiedQuote verify(byte[] quote, byte[] collateral) throws Exception {
    return verifier.verify(quote, Optional.empty(), AT, verifier.collateral(List.of(collateral)));
  }

  private static byte[] collateral(String tcb, String qe) throws Exception {
    return pki.collateral(tcb, qe, List.of(), List.of(), CRL_FROM, CRL_TO);
  }

  private static void assertRejected(byte[] quote, byte[] collateral, Failure failure) {
    assertThatThrownBy(() -> verify(quote, collateral))
        .isInstanceOf(VerificationException.class)
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(failure);
  }

  /** Sets byte {@code offset} of the signed part (header at 0, TD report at 48). */
  private static UnaryOperator<byte[]> set(int offset, int value) {
    return b -> {
      b[offset] = (byte) value;
      return b;
    };
  }

  @Test
  void resignedQuoteIsUpToDateWithTheTdx01ModuleIdentity() throws Exception {
    VerifiedQuote v = verify(pki.quote(), collateral(tcbInfo, qeIdentity));
    TcbEvaluation t = v.tcb().orElseThrow();
    assertThat(t.status()).isEqualTo(TcbStatus.UP_TO_DATE);
    assertThat(t.tdxModuleId()).contains("TDX_01");
    assertThat(t.tdxModuleStatus()).contains(TcbStatus.UP_TO_DATE);
    assertThat(t.qeStatus()).isEqualTo(TcbStatus.UP_TO_DATE);
    assertThat(t.advisoryIds()).isEmpty();
  }

  @Test
  void rejectsAQuoteWhosePckCertificateIsOnThePckCrl() throws Exception {
    byte[] c =
        pki.collateral(
            tcbInfo, qeIdentity, List.of(), List.of(pki.pck.getSerialNumber()), CRL_FROM, CRL_TO);
    assertRejected(pki.quote(), c, Failure.CERT_REVOKED);
  }

  @Test
  void rejectsAQuoteWhosePckCaIsOnTheRootCrl() throws Exception {
    byte[] c =
        pki.collateral(
            tcbInfo, qeIdentity, List.of(pki.ca.getSerialNumber()), List.of(), CRL_FROM, CRL_TO);
    assertRejected(pki.quote(), c, Failure.CERT_REVOKED);
  }

  @Test
  void rejectsCollateralSignedByARevokedTcbSigningCertificate() throws Exception {
    byte[] c =
        pki.collateral(
            tcbInfo,
            qeIdentity,
            List.of(pki.tcbSigner.getSerialNumber()),
            List.of(),
            CRL_FROM,
            CRL_TO);
    assertRejected(pki.quote(), c, Failure.CERT_REVOKED);
  }

  @Test
  void unrelatedRevocationsDoNotMatter() throws Exception {
    byte[] c =
        pki.collateral(
            tcbInfo,
            qeIdentity,
            List.of(BigInteger.valueOf(99)),
            List.of(BigInteger.valueOf(98)),
            CRL_FROM,
            CRL_TO);
    assertThat(verify(pki.quote(), c).tcb()).isPresent();
  }

  @Test
  void reportsCrlsPastTheirNextUpdateAsExpiredCollateral() throws Exception {
    Instant next = Instant.parse("2025-06-30T00:00:00Z");
    byte[] c = pki.collateral(tcbInfo, qeIdentity, List.of(), List.of(), CRL_FROM, next);
    VerifiedQuote v = verify(pki.quote(), c);
    assertThat(v.collateralExpired()).isPresent();
    assertThat(v.collateralExpired().get().since()).isEqualTo(next);
    assertThat(v.collateralExpired().get().overdue()).isEqualTo(java.time.Duration.ofDays(1));
    assertThat(v.tcb().orElseThrow().status()).isEqualTo(TcbStatus.UP_TO_DATE);
  }

  @Test
  void aCrlPastItsNextUpdateStillRevokes() throws Exception {
    byte[] c =
        pki.collateral(
            tcbInfo,
            qeIdentity,
            List.of(),
            List.of(pki.pck.getSerialNumber()),
            CRL_FROM,
            Instant.parse("2025-06-30T00:00:00Z"));
    assertRejected(pki.quote(), c, Failure.CERT_REVOKED);
  }

  @Test
  void currentCollateralReportsNoExpiry() throws Exception {
    assertThat(verify(pki.quote(), collateral(tcbInfo, qeIdentity)).collateralExpired()).isEmpty();
  }

  @Test
  void rejectsTcbInfoWhoseBytesChangedAfterSigning() throws Exception {
    byte[] c = collateral(tcbInfo, qeIdentity);
    String bundle = new String(c, java.nio.charset.StandardCharsets.UTF_8);
    byte[] tampered =
        bundle
            .replace("tcbEvaluationDataNumber\\\":17", "tcbEvaluationDataNumber\\\":18")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(tampered).isNotEqualTo(c);
    assertRejected(pki.quote(), tampered, Failure.SIGNATURE_INVALID);
  }

  @Test
  void rejectsAQeWhoseSignerIsNotIntelsQe() throws Exception {
    String other = qeIdentity.replace("DC9E2A7C", "DC9E2A7D");
    assertRejected(pki.quote(), collateral(tcbInfo, other), Failure.KEY_MISMATCH);
  }

  @Test
  void anOutOfDateQeMakesAnUpToDatePlatformOutOfDate() throws Exception {
    String qe = qeIdentity.replace("\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"OutOfDate\"");
    TcbEvaluation t = verify(pki.quote(), collateral(tcbInfo, qe)).tcb().orElseThrow();
    assertThat(t.qeStatus()).isEqualTo(TcbStatus.OUT_OF_DATE);
    assertThat(t.platformStatus()).isEqualTo(TcbStatus.UP_TO_DATE);
    assertThat(t.status()).isEqualTo(TcbStatus.OUT_OF_DATE);
  }

  @Test
  void aQeBelowEveryQeLevelHasNoMatchingTcbLevel() throws Exception {
    String qe = qeIdentity.replace("\"isvsvn\":4", "\"isvsvn\":99");
    assertRejected(pki.quote(), collateral(tcbInfo, qe), Failure.TCB_OUT_OF_DATE);
  }

  @Test
  void anOutOfDateTdxModuleMakesTheTdOutOfDate() throws Exception {
    // TEE_TCB_SVN[0] = module SVN 3: TDX_01 level "isvsvn 2" (OutOfDate) matches
    TcbEvaluation t =
        verify(pki.quote(set(48, 3)), collateral(tcbInfo, qeIdentity)).tcb().orElseThrow();
    assertThat(t.tdxModuleStatus()).contains(TcbStatus.OUT_OF_DATE);
    assertThat(t.status()).isEqualTo(TcbStatus.OUT_OF_DATE);
  }

  @Test
  void aTdxModuleBelowEveryModuleLevelHasNoMatchingTcbLevel() throws Exception {
    assertRejected(pki.quote(set(48, 1)), collateral(tcbInfo, qeIdentity), Failure.TCB_OUT_OF_DATE);
  }

  @Test
  void aTdxModuleVersionWithoutIdentityIsRejected() throws Exception {
    assertRejected(pki.quote(set(49, 7)), collateral(tcbInfo, qeIdentity), Failure.KEY_MISMATCH);
  }

  @Test
  void nonZeroSeamAttributesAreRejected() throws Exception {
    assertRejected(pki.quote(set(160, 1)), collateral(tcbInfo, qeIdentity), Failure.KEY_MISMATCH);
  }

  @Test
  void aRevokedPlatformLevelIsRejected() throws Exception {
    String revoked = tcbInfo.replace("\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"Revoked\"");
    assertRejected(pki.quote(), collateral(revoked, qeIdentity), Failure.TCB_OUT_OF_DATE);
  }

  @Test
  void platformAdvisoriesAndSwHardeningComeFromTheMatchedLevel() throws Exception {
    int i = tcbInfo.indexOf("\"tcbLevels\":[{\"tcb\":{\"sgxtcbcomponents\"");
    String head = tcbInfo.substring(0, i);
    String tail =
        tcbInfo
            .substring(i)
            .replaceFirst(
                "\"tcbStatus\":\"UpToDate\"",
                "\"tcbStatus\":\"SWHardeningNeeded\",\"advisoryIDs\":[\"INTEL-SA-00615\"]");
    TcbEvaluation t = verify(pki.quote(), collateral(head + tail, qeIdentity)).tcb().orElseThrow();
    assertThat(t.status()).isEqualTo(TcbStatus.SW_HARDENING_NEEDED);
    assertThat(t.advisoryIds()).containsExactly("INTEL-SA-00615");
  }

  @Test
  void collateralFromTheWrongRootIsUntrusted() throws Exception {
    SyntheticDcap other = new SyntheticDcap(TdxVectors.bytes("dcap-qvl/tdx_quote"));
    byte[] c = other.collateral(tcbInfo, qeIdentity, List.of(), List.of(), CRL_FROM, CRL_TO);
    // the other PKI's CRLs are issued by names the quote's chain does not have
    assertThatThrownBy(() -> verify(pki.quote(), c)).isInstanceOf(VerificationException.class);
    // a quote chained to another root is untrusted
    assertRejected(other.quote(), collateral(tcbInfo, qeIdentity), Failure.CHAIN_UNTRUSTED);
  }
}
