package dev.vouch.evidence.snp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.Expectations;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cases no real vector covers, over a test hierarchy built like AMD's: CRLs, Turin's TCB layout and
 * 8-byte hwID, version 5 fields, unsigned reports, rogue or expired intermediates, policies.
 */
class SnpSyntheticHierarchyTest {
  private static final TestAmdPki.Tcb MILAN_TCB = new TestAmdPki.Tcb(0, 4, 0, 22, 213);
  private static final TestAmdPki.Tcb TURIN_TCB = new TestAmdPki.Tcb(1, 2, 0, 3, 9);
  private static TestAmdPki milan;
  private static TestAmdPki turin;
  private static SnpEvidenceVerifier milanVerifier;
  private static SnpEvidenceVerifier turinVerifier;
  private static byte[] chipId;

  @BeforeAll
  static void hierarchy() throws Exception {
    milan = new TestAmdPki(SnpProduct.MILAN);
    turin = new TestAmdPki(SnpProduct.TURIN);
    milanVerifier = new SnpEvidenceVerifier(milan.roots());
    turinVerifier = new SnpEvidenceVerifier(turin.roots());
    chipId = new byte[64];
    for (int i = 0; i < 64; i++) {
      chipId[i] = (byte) (0xa0 + i);
    }
  }

  private static TestAmdPki.ReportSpec milanSpec() {
    TestAmdPki.ReportSpec s = new TestAmdPki.ReportSpec();
    s.tcb = tcb(SnpProduct.MILAN, MILAN_TCB);
    s.chipId = chipId.clone();
    return s;
  }

  private static long tcb(SnpProduct p, TestAmdPki.Tcb t) {
    return TcbVersion.encode(
        p,
        p.fmcTcbLayout() ? OptionalInt.of(t.fmc()) : OptionalInt.empty(),
        t.bl(),
        t.tee(),
        t.snp(),
        t.ucode());
  }

  /**
   * The collateral plus the current ARK CRLs of both test hierarchies (a CRL of another product is
   * ignored), as a server holding AMD's CRLs would pass them.
   */
  private static Expectations at(Instant at, byte[]... collateral) throws Exception {
    List<byte[]> files = new java.util.ArrayList<>(Arrays.asList(collateral));
    files.add(milan.crl(true, TestAmdPki.NOT_AFTER));
    files.add(turin.crl(true, TestAmdPki.NOT_AFTER));
    return new Expectations(Optional.empty(), at, files);
  }

  /** Exactly this collateral, no CRL added. */
  private static Expectations exactly(Instant at, byte[]... collateral) {
    return new Expectations(Optional.empty(), at, Arrays.asList(collateral));
  }

  private static Failure failure(SnpEvidenceVerifier v, byte[] report, Expectations e) {
    try {
      v.verify(report, e);
    } catch (VerificationException x) {
      return x.failure();
    }
    throw new AssertionError("verified, but should have failed");
  }

  @Test
  void aMilanReportVerifiesAgainstTheTestAnchors() throws Exception {
    Claims c =
        milanVerifier
            .verify(milan.report(milanSpec()), at(TestAmdPki.AT, milan.vcek(MILAN_TCB, chipId)))
            .claims();
    assertThat(c.get(SnpClaims.PRODUCT)).isEqualTo("milan");
    assertThat(c.get(SnpClaims.REPORTED_TCB + ".snp")).isEqualTo(22L);
    assertThat(c.get(SnpClaims.REPORTED_TCB + ".microcode")).isEqualTo(213L);
    assertThat(c.get(SnpClaims.POLICY_DEBUG)).isEqualTo(false);
  }

  @Test
  void aDebuggableGuestVerifiesAndSaysSo() throws Exception {
    TestAmdPki.ReportSpec s = milanSpec();
    s.policy = 0x30000 | (1L << 19) | (1L << 18);
    Claims c =
        milanVerifier
            .verify(milan.report(s), at(TestAmdPki.AT, milan.vcek(MILAN_TCB, chipId)))
            .claims();
    assertThat(c.get(SnpClaims.POLICY_DEBUG)).isEqualTo(true);
    assertThat(c.get(SnpClaims.POLICY_MIGRATE_MA)).isEqualTo(true);
    assertThat(c.get(SnpClaims.POLICY)).isEqualTo("00000000000f0000");
  }

  @Test
  void aTurinVersion5ReportUsesTheFmcLayoutAndAnEightByteHwId() throws Exception {
    TestAmdPki.ReportSpec s = new TestAmdPki.ReportSpec();
    s.version = 5;
    s.family = 0x1a;
    s.model = 0x02;
    s.tcb = tcb(SnpProduct.TURIN, TURIN_TCB);
    s.chipId = new byte[64];
    System.arraycopy(chipId, 0, s.chipId, 0, 8);
    byte[] vcek = turin.vcek(TURIN_TCB, Arrays.copyOf(chipId, 8));
    Claims c = turinVerifier.verify(turin.report(s), at(TestAmdPki.AT, vcek)).claims();
    assertThat(c.get(SnpClaims.PRODUCT)).isEqualTo("turin");
    assertThat(c.get(SnpClaims.REPORTED_TCB + ".fmc")).isEqualTo(1L);
    assertThat(c.get(SnpClaims.REPORTED_TCB + ".bootloader")).isEqualTo(2L);
    assertThat(c.get(SnpClaims.REPORTED_TCB + ".snp")).isEqualTo(3L);
    assertThat(c.get(SnpClaims.REPORTED_TCB + ".microcode")).isEqualTo(9L);
    assertThat(c.get(SnpClaims.LAUNCH_MIT_VECTOR)).isEqualTo("0000000000000011");
    assertThat(c.get(SnpClaims.CURRENT_MIT_VECTOR)).isEqualTo("0000000000000013");
  }

  @Test
  void aTurinVcekWithAnotherFmcLevelIsAKeyMismatch() throws Exception {
    TestAmdPki.ReportSpec s = new TestAmdPki.ReportSpec();
    s.family = 0x1a;
    s.tcb = tcb(SnpProduct.TURIN, TURIN_TCB);
    s.chipId = Arrays.copyOf(Arrays.copyOf(chipId, 8), 64);
    byte[] vcek = turin.vcek(new TestAmdPki.Tcb(2, 2, 0, 3, 9), Arrays.copyOf(chipId, 8));
    assertThat(failure(turinVerifier, turin.report(s), at(TestAmdPki.AT, vcek)))
        .isEqualTo(Failure.KEY_MISMATCH);
  }

  @Test
  void aVcekForAnotherSnpLevelIsAKeyMismatch() throws Exception {
    byte[] vcek = milan.vcek(new TestAmdPki.Tcb(0, 4, 0, 21, 213), chipId);
    assertThat(failure(milanVerifier, milan.report(milanSpec()), at(TestAmdPki.AT, vcek)))
        .isEqualTo(Failure.KEY_MISMATCH);
  }

  @Test
  void aVcekForAnotherChipIsAKeyMismatchButAMaskedChipIdVerifies() throws Exception {
    byte[] other = chipId.clone();
    other[63] ^= 1;
    byte[] vcek = milan.vcek(MILAN_TCB, other);
    assertThat(failure(milanVerifier, milan.report(milanSpec()), at(TestAmdPki.AT, vcek)))
        .isEqualTo(Failure.KEY_MISMATCH);
    TestAmdPki.ReportSpec masked = milanSpec();
    masked.chipId = new byte[64];
    assertThat(
            milanVerifier
                .verify(milan.report(masked), at(TestAmdPki.AT, vcek))
                .claims()
                .get(SnpClaims.CHIP_ID))
        .isEqualTo("00".repeat(64));
  }

  @Test
  void aVlekChainsThroughTheAsvk() throws Exception {
    TestAmdPki.ReportSpec s = milanSpec();
    s.keyInfo = 1 << 2;
    s.chipId = new byte[64];
    Claims c =
        milanVerifier.verify(milan.report(s), at(TestAmdPki.AT, milan.vlek(MILAN_TCB))).claims();
    assertThat(c.get(SnpClaims.SIGNING_KEY)).isEqualTo("vlek");
    assertThat(c.get(SnpClaims.VLEK_CSP_ID)).isEqualTo("CN=csp.example");
  }

  @Test
  void anUnsignedReportIsRejected() throws Exception {
    TestAmdPki.ReportSpec none = milanSpec();
    none.keyInfo = 7 << 2;
    TestAmdPki.ReportSpec masked = milanSpec();
    masked.keyInfo = 2;
    for (TestAmdPki.ReportSpec s : List.of(none, masked)) {
      assertThat(
              failure(
                  milanVerifier, milan.report(s), at(TestAmdPki.AT, milan.vcek(MILAN_TCB, chipId))))
          .isEqualTo(Failure.SIGNATURE_INVALID);
    }
  }

  @Test
  void theVcekNeedsNoCrlAndAnAskSignedListDoesNotCount() throws Exception {
    // AMD publishes no VCEK CRL and its ASK may not sign one (keyCertSign only): revocation
    // covers the ASK through the ARK's CRL, and a list "signed" by the ASK is never consulted
    byte[] vcek = milan.vcek(MILAN_TCB, chipId);
    byte[] askList = milan.crl(false, TestAmdPki.NOT_AFTER, BigInteger.ZERO);
    byte[] arkList = milan.crl(true, TestAmdPki.NOT_AFTER);
    Claims c =
        milanVerifier
            .verify(milan.report(milanSpec()), exactly(TestAmdPki.AT, vcek, askList, arkList))
            .claims();
    assertThat(c.get(SnpClaims.REVOCATION_CHECKED)).isEqualTo(true);
    assertThat(
            failure(
                milanVerifier, milan.report(milanSpec()), exactly(TestAmdPki.AT, vcek, askList)))
        .isEqualTo(Failure.COLLATERAL_MISSING);
  }

  @Test
  void anAskRevokedByTheArkCrlIsRejected() throws Exception {
    byte[] vcek = milan.vcek(MILAN_TCB, chipId);
    byte[] crl = milan.crl(true, TestAmdPki.NOT_AFTER, BigInteger.TWO);
    assertThat(failure(milanVerifier, milan.report(milanSpec()), exactly(TestAmdPki.AT, vcek, crl)))
        .isEqualTo(Failure.CERT_REVOKED);
  }

  @Test
  void withoutTheArkCrlTheReportIsRefusedUnlessRevocationIsTurnedOff() throws Exception {
    byte[] vcek = milan.vcek(MILAN_TCB, chipId);
    byte[] report = milan.report(milanSpec());
    assertThat(failure(milanVerifier, report, exactly(TestAmdPki.AT, vcek)))
        .isEqualTo(Failure.COLLATERAL_MISSING);
    Claims c =
        milanVerifier.withoutRevocation().verify(report, exactly(TestAmdPki.AT, vcek)).claims();
    assertThat(c.get(SnpClaims.REVOCATION_CHECKED)).isEqualTo(false);
  }

  @Test
  void aCurrentCrlThatListsOtherSerialsLetsTheReportVerify() throws Exception {
    byte[] vcek = milan.vcek(MILAN_TCB, chipId);
    byte[] crl = milan.crl(true, TestAmdPki.NOT_AFTER, BigInteger.valueOf(99));
    Claims c =
        milanVerifier.verify(milan.report(milanSpec()), exactly(TestAmdPki.AT, vcek, crl)).claims();
    assertThat(c.get(SnpClaims.REVOCATION_CHECKED)).isEqualTo(true);
  }

  @Test
  void anExpiredCrlIsExpiredCollateral() throws Exception {
    byte[] vcek = milan.vcek(MILAN_TCB, chipId);
    byte[] crl = milan.crl(true, Instant.parse("2024-06-01T00:00:00Z"));
    assertThat(failure(milanVerifier, milan.report(milanSpec()), exactly(TestAmdPki.AT, vcek, crl)))
        .isEqualTo(Failure.COLLATERAL_EXPIRED);
  }

  @Test
  void aCrlNamingTheArkButSignedByAnotherKeyFailsClosed() throws Exception {
    byte[] vcek = milan.vcek(MILAN_TCB, chipId);
    assertThat(
            failure(
                milanVerifier,
                milan.report(milanSpec()),
                exactly(TestAmdPki.AT, vcek, milan.forgedArkCrl())))
        .isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void aCrlOfAnotherProductIsIgnored() throws Exception {
    byte[] vcek = milan.vcek(MILAN_TCB, chipId);
    byte[] turinCrl = turin.crl(true, Instant.parse("2024-06-01T00:00:00Z"), BigInteger.TWO);
    assertThat(milanVerifier.verify(milan.report(milanSpec()), at(TestAmdPki.AT, vcek, turinCrl)))
        .isNotNull();
  }

  @Test
  void aSuppliedAskThatTheArkDidNotSignIsNotTrusted() throws Exception {
    byte[][] rogue = milan.rogueChain(MILAN_TCB, chipId);
    assertThat(
            failure(
                milanVerifier,
                milan.report(milanSpec(), rogue[2]),
                at(TestAmdPki.AT, rogue[1], rogue[0])))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void anExpiredSuppliedAskIsTriedButThePinnedOneStillServes() throws Exception {
    byte[] vcek = milan.vcek(MILAN_TCB, chipId);
    byte[] oldAsk = milan.askExpiringAt(Instant.parse("2024-06-01T00:00:00Z"));
    assertThat(
            milanVerifier
                .verify(milan.report(milanSpec()), at(TestAmdPki.AT, vcek, oldAsk))
                .claims())
        .isNotNull();
  }

  @Test
  void anArkExpiredAtVerificationTimeIsCertExpired() throws Exception {
    byte[] vcek = milan.vcek(MILAN_TCB, chipId);
    assertThat(
            failure(
                milanVerifier,
                milan.report(milanSpec()),
                at(Instant.parse("2031-01-01T00:00:00Z"), vcek)))
        .isEqualTo(Failure.CERT_EXPIRED);
  }

  @Test
  void aCpuWithoutAKnownSevSnpProductIsUnsupported() throws Exception {
    TestAmdPki.ReportSpec s = milanSpec();
    s.family = 0x17;
    assertThat(
            failure(
                milanVerifier, milan.report(s), at(TestAmdPki.AT, milan.vcek(MILAN_TCB, chipId))))
        .isEqualTo(Failure.UNSUPPORTED);
  }

  @Test
  void aReportFromAProductWithoutPinnedAnchorsIsUntrusted() throws Exception {
    TestAmdPki.ReportSpec s = milanSpec();
    s.model = 0x11; // Genoa; the test anchors hold only Milan
    assertThat(
            failure(
                milanVerifier, milan.report(s), at(TestAmdPki.AT, milan.vcek(MILAN_TCB, chipId))))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void theBuiltInRootsDoNotTrustTheTestHierarchy() throws Exception {
    assertThat(
            failure(
                SnpSamples.VERIFIER,
                milan.report(milanSpec()),
                at(TestAmdPki.AT, milan.vcek(MILAN_TCB, chipId), milan.askDer, milan.arkDer)))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }
}
