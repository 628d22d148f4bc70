package dev.vouch.core.pki;

import static dev.vouch.core.pki.TestPki.NOW;
import static dev.vouch.core.pki.TestPki.YEAR_AGO;
import static dev.vouch.core.pki.TestPki.YEAR_ON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.pki.TestPki.Issued;
import dev.vouch.core.pki.TestPki.Spec;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CertPathsTest {
  private static Issued root;
  private static Issued ca;
  private static Issued leaf;
  private static PathSettings settings;

  @BeforeAll
  static void pki() throws Exception {
    root = TestPki.root("Test Root");
    ca = TestPki.issue(root, Spec.ca("Test CA"));
    leaf = TestPki.issue(ca, Spec.leaf("Test Leaf"));
    settings = PathSettings.of(List.of(root.cert()));
  }

  private static List<X509CRL> currentCrls() throws Exception {
    return List.of(TestPki.crl(root), TestPki.crl(ca));
  }

  private static Failure failureOf(ThrowingCallable check) {
    VerificationException e = catchThrowableOfType(VerificationException.class, check);
    assertThat(e).as("validation fails").isNotNull();
    return e.failure();
  }

  @Test
  void acceptsAPathWithCurrentCrlsAndSaysRevocationWasChecked() throws Exception {
    PathResult r =
        CertPaths.validate(List.of(leaf.cert(), ca.cert()), currentCrls(), NOW, settings);
    assertThat(r.revocationChecked()).isTrue();
    assertThat(r.anchor()).isEqualTo(root.cert());
    assertThat(r.path()).containsExactly(leaf.cert(), ca.cert());
  }

  @Test
  void saysForWhichInstantsTheSameResultHolds() throws Exception {
    X509CRL shortLived = TestPki.crl(ca, NOW.minusSeconds(60), NOW.plusSeconds(60));
    PathResult r =
        CertPaths.validate(
            List.of(leaf.cert(), ca.cert()), List.of(TestPki.crl(root), shortLived), NOW, settings);
    assertThat(r.holdsAt(NOW.plusSeconds(59))).isTrue();
    // the CA's CRL expires at +60 s, so the outcome may change from then on
    assertThat(r.holdsAt(NOW.plusSeconds(60))).isFalse();
    assertThat(r.holdsAt(NOW.minusSeconds(60))).isFalse();
  }

  @Test
  void neverFetchesACrlFromTheDistributionPointACertificateNames() throws Exception {
    // a local server stands where the leaf says its CRL is: revocation must be decided from the
    // caller's CRLs alone, so the missing CRL is COLLATERAL_MISSING and the server sees nothing
    java.util.concurrent.atomic.AtomicInteger fetched =
        new java.util.concurrent.atomic.AtomicInteger();
    com.sun.net.httpserver.HttpServer crlServer =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    byte[] body = TestPki.crl(ca).getEncoded();
    crlServer.createContext(
        "/",
        ex -> {
          fetched.incrementAndGet();
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    crlServer.start();
    try {
      String url = "http://127.0.0.1:" + crlServer.getAddress().getPort() + "/ca.crl";
      Issued pointing = TestPki.issueWithCrlDistributionPoint(ca, Spec.leaf("Pointing"), url);
      assertThat(
              failureOf(
                  () ->
                      CertPaths.validate(
                          List.of(pointing.cert(), ca.cert()),
                          List.of(TestPki.crl(root)),
                          NOW,
                          settings)))
          .isEqualTo(Failure.COLLATERAL_MISSING);
      assertThat(fetched.get()).isZero();
    } finally {
      crlServer.stop(0);
    }
  }

  @Test
  void dropsTheAnchorWhenTheChainIncludesIt() throws Exception {
    PathResult r =
        CertPaths.validate(
            List.of(leaf.cert(), ca.cert(), root.cert()), currentCrls(), NOW, settings);
    assertThat(r.path()).containsExactly(leaf.cert(), ca.cert());
  }

  @Test
  void saysSoWhenTheCallerTurnedRevocationOff() throws Exception {
    PathResult r =
        CertPaths.validate(
            List.of(leaf.cert(), ca.cert()),
            List.of(),
            NOW,
            settings.withRevocation(Revocation.DISABLED));
    assertThat(r.revocationChecked()).isFalse();
    assertThat(r.revocation()).isEqualTo(Revocation.DISABLED);
  }

  @Test
  void rejectsAnExpiredLeaf() throws Exception {
    Issued old = TestPki.issue(ca, Spec.leaf("Old").valid(YEAR_AGO, NOW.minusSeconds(60)));
    assertThat(
            failureOf(
                () ->
                    CertPaths.validate(
                        List.of(old.cert(), ca.cert()), currentCrls(), NOW, settings)))
        .isEqualTo(Failure.CERT_EXPIRED);
  }

  @Test
  void rejectsALeafNotYetValid() throws Exception {
    Issued early = TestPki.issue(ca, Spec.leaf("Early").valid(NOW.plusSeconds(60), YEAR_ON));
    assertThat(
            failureOf(
                () ->
                    CertPaths.validate(
                        List.of(early.cert(), ca.cert()), currentCrls(), NOW, settings)))
        .isEqualTo(Failure.CERT_EXPIRED);
  }

  @Test
  void rejectsAnExpiredAnchor() throws Exception {
    Issued lateLeaf = TestPki.issue(root, Spec.leaf("Late"));
    PathSettings s = settings.withRevocation(Revocation.DISABLED);
    assertThat(
            failureOf(
                () ->
                    CertPaths.validate(
                        List.of(lateLeaf.cert()), List.of(), YEAR_ON.plusSeconds(60), s)))
        .isEqualTo(Failure.CERT_EXPIRED);
  }

  @Test
  void rejectsALeafItsCaRevoked() throws Exception {
    X509CRL revoking =
        TestPki.crl(ca, NOW.minusSeconds(86400), NOW.plusSeconds(86400), leaf.cert());
    assertThat(
            failureOf(
                () ->
                    CertPaths.validate(
                        List.of(leaf.cert(), ca.cert()),
                        List.of(TestPki.crl(root), revoking),
                        NOW,
                        settings)))
        .isEqualTo(Failure.CERT_REVOKED);
  }

  @Test
  void rejectsACaTheRootRevoked() throws Exception {
    X509CRL revoking =
        TestPki.crl(root, NOW.minusSeconds(86400), NOW.plusSeconds(86400), ca.cert());
    assertThat(
            failureOf(
                () ->
                    CertPaths.validate(
                        List.of(leaf.cert(), ca.cert()),
                        List.of(revoking, TestPki.crl(ca)),
                        NOW,
                        settings)))
        .isEqualTo(Failure.CERT_REVOKED);
  }

  @Test
  void rejectsAPathUnderAnotherAnchor() throws Exception {
    Issued other = TestPki.root("Test Root");
    PathSettings s = PathSettings.of(List.of(other.cert()));
    assertThat(
            failureOf(
                () -> CertPaths.validate(List.of(leaf.cert(), ca.cert()), currentCrls(), NOW, s)))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void rejectsAPathEndingAtAnUntrustedRoot() throws Exception {
    Issued other = TestPki.root("Other Root");
    PathSettings s = PathSettings.of(List.of(other.cert()));
    assertThat(
            failureOf(
                () ->
                    CertPaths.validate(
                        List.of(leaf.cert(), ca.cert(), root.cert()), currentCrls(), NOW, s)))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void rejectsABrokenLinkFromAFlippedSignatureBit() throws Exception {
    X509Certificate broken = TestPki.flipSignatureBit(leaf.cert());
    assertThat(
            failureOf(
                () -> CertPaths.validate(List.of(broken, ca.cert()), currentCrls(), NOW, settings)))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
    // also when the CRLs are missing: the broken link, not the missing CRL, is the answer
    assertThat(
            failureOf(
                () -> CertPaths.validate(List.of(broken, ca.cert()), List.of(), NOW, settings)))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void rejectsACaWithoutKeyCertSign() throws Exception {
    Issued weak = TestPki.issue(root, Spec.ca("Weak CA").usage(KeyUsage.digitalSignature));
    Issued under = TestPki.issue(weak, Spec.leaf("Under Weak"));
    PathSettings s = settings.withRevocation(Revocation.DISABLED);
    assertThat(
            failureOf(
                () -> CertPaths.validate(List.of(under.cert(), weak.cert()), List.of(), NOW, s)))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void rejectsACaWithoutAnyKeyUsage() throws Exception {
    Issued bare = TestPki.issue(root, Spec.ca("Bare CA").usage(null));
    Issued under = TestPki.issue(bare, Spec.leaf("Under Bare"));
    PathSettings s = settings.withRevocation(Revocation.DISABLED);
    assertThat(
            failureOf(
                () -> CertPaths.validate(List.of(under.cert(), bare.cert()), List.of(), NOW, s)))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void rejectsALeafThatMayNotSignWhenTheCallerAsks() throws Exception {
    Issued enc = TestPki.issue(ca, Spec.leaf("Encipher").usage(KeyUsage.keyEncipherment));
    List<X509Certificate> chain = List.of(enc.cert(), ca.cert());
    // without the requirement the path is fine (an EK, for example, only deciphers)
    CertPaths.validate(chain, currentCrls(), NOW, settings);
    assertThat(
            failureOf(
                () ->
                    CertPaths.validate(
                        chain, currentCrls(), NOW, settings.withLeafSigningData(true))))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void rejectsAnUnknownCriticalExtensionUnlessTheCallerAllowsIt() throws Exception {
    String oid = "1.3.6.1.4.1.55555.1";
    Issued odd = TestPki.issue(ca, Spec.leaf("Odd").critical(oid));
    List<X509Certificate> chain = List.of(odd.cert(), ca.cert());
    assertThat(failureOf(() -> CertPaths.validate(chain, currentCrls(), NOW, settings)))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
    PathResult r =
        CertPaths.validate(
            chain, currentCrls(), NOW, settings.allowingCriticalExtensions(Set.of(oid)));
    assertThat(r.leaf()).isEqualTo(odd.cert());
    // allowing one extension does not allow another
    assertThat(
            failureOf(
                () ->
                    CertPaths.validate(
                        chain,
                        currentCrls(),
                        NOW,
                        settings.allowingCriticalExtensions(Set.of("1.3.6.1.4.1.55555.2")))))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void rejectsAMissingCrlWhenRevocationIsRequired() throws Exception {
    assertThat(
            failureOf(
                () ->
                    CertPaths.validate(
                        List.of(leaf.cert(), ca.cert()),
                        List.of(TestPki.crl(root)),
                        NOW,
                        settings)))
        .isEqualTo(Failure.COLLATERAL_MISSING);
    assertThat(
            failureOf(
                () ->
                    CertPaths.validate(List.of(leaf.cert(), ca.cert()), List.of(), NOW, settings)))
        .isEqualTo(Failure.COLLATERAL_MISSING);
  }

  @Test
  void rejectsAnExpiredCrl() throws Exception {
    X509CRL stale = TestPki.crl(ca, NOW.minusSeconds(7 * 86400), NOW.minusSeconds(86400));
    assertThat(
            failureOf(
                () ->
                    CertPaths.validate(
                        List.of(leaf.cert(), ca.cert()),
                        List.of(TestPki.crl(root), stale),
                        NOW,
                        settings)))
        .isEqualTo(Failure.COLLATERAL_EXPIRED);
  }

  @Test
  void rejectsACrlNotSignedByItsIssuer() throws Exception {
    Issued impostor = TestPki.root("Test CA");
    X509CRL forged = TestPki.crl(impostor);
    assertThat(
            failureOf(
                () ->
                    CertPaths.validate(
                        List.of(leaf.cert(), ca.cert()),
                        List.of(TestPki.crl(root), forged),
                        NOW,
                        settings)))
        .isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void checksOnlyCaCertificatesWhenTheCallerSaysTheLeafHasNoCrl() throws Exception {
    PathSettings s = settings.withRevocation(Revocation.CA_CERTIFICATES);
    PathResult r =
        CertPaths.validate(List.of(leaf.cert(), ca.cert()), List.of(TestPki.crl(root)), NOW, s);
    assertThat(r.revocationChecked()).isTrue();
    assertThat(
            failureOf(() -> CertPaths.validate(List.of(leaf.cert(), ca.cert()), List.of(), NOW, s)))
        .isEqualTo(Failure.COLLATERAL_MISSING);
    X509CRL revoking =
        TestPki.crl(root, NOW.minusSeconds(86400), NOW.plusSeconds(86400), ca.cert());
    assertThat(
            failureOf(
                () ->
                    CertPaths.validate(List.of(leaf.cert(), ca.cert()), List.of(revoking), NOW, s)))
        .isEqualTo(Failure.CERT_REVOKED);
  }

  @Test
  void buildsAPathFromAnUnorderedPoolAndIgnoresDecoys() throws Exception {
    Issued decoy = TestPki.issue(TestPki.root("Test Root"), Spec.ca("Test CA"));
    PathResult r =
        CertPaths.build(
            leaf.cert(),
            List.of(decoy.cert(), root.cert(), ca.cert()),
            currentCrls(),
            NOW,
            settings);
    assertThat(r.path()).containsExactly(leaf.cert(), ca.cert());
    assertThat(
            failureOf(
                () ->
                    CertPaths.build(
                        leaf.cert(), List.of(decoy.cert()), currentCrls(), NOW, settings)))
        .isEqualTo(Failure.CHAIN_UNTRUSTED);
  }
}
