package dev.vouch.server.cms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.server.cms.CmsException.Reason;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sealer;
import dev.vouch.server.store.TestDatabases;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CMS on H2 and PostgreSQL: certificates from CSRs under one-time bootstrap tokens, each
 * refusal with its stable reason, revocation in the signed CRL, one CA shared by replicas.
 */
public class CmsTest {
  private static final Instant T0 =
      Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
  private static final Sealer SEALER = new Sealer(new byte[32]);
  @TempDir Path dir;

  static Stream<String> databases() {
    return Stream.of("h2", "postgresql");
  }

  private TestDatabases.Handle handle(String kind) {
    return kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres();
  }

  private static Cms cms(Database db, Instant at) {
    Clock clock = Clock.fixed(at, ZoneOffset.UTC);
    return new Cms(db, CmsAuthority.loadOrCreate(db, SEALER, clock), clock);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void issuesACertificateForTheTokensHostThatChainsToTheRoot(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      Cms cms = cms(db, T0);
      Cms.BootstrapToken t = cms.createBootstrapToken("Node-1.example", Duration.ofHours(1), "ops");
      assertThat(t.token()).startsWith(Cms.TOKEN_PREFIX);
      assertThat(t.toString()).doesNotContain(t.token());
      KeyPair keys = Csrs.p256();
      Cms.Issued issued =
          cms.issue(
              Csrs.pem(Csrs.csr(keys, "node-1.example", "node-1.example")),
              new Cms.Bootstrap(t.token()));

      X509Certificate leaf = issued.certificate();
      assertThat(issued.hostId()).isEqualTo("node-1.example");
      assertThat(leaf.getPublicKey()).isEqualTo(keys.getPublic());
      assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(2, "node-1.example"));
      assertThat(leaf.getExtendedKeyUsage())
          .containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
      assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
      assertThat(Duration.between(T0, leaf.getNotAfter().toInstant()))
          .isEqualTo(Cms.CERTIFICATE_VALIDITY);

      // the PEM chain as answered validates under the root alone (PKIX, key usage checked)
      List<X509Certificate> chain = parseChain(issued.chainPem());
      assertThat(chain).hasSize(3);
      X509Certificate root = chain.get(2);
      assertThat(root).isEqualTo(cms.authority().root());
      PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
      params.setRevocationEnabled(false);
      params.setDate(java.util.Date.from(T0));
      CertPathValidator.getInstance("PKIX")
          .validate(
              CertificateFactory.getInstance("X.509").generateCertPath(chain.subList(0, 2)),
              params);

      assertThat(cms.certificates())
          .singleElement()
          .satisfies(
              c -> {
                assertThat(c.serial()).isEqualTo(issued.serial());
                assertThat(c.issuedBy()).isEqualTo("bootstrap-token");
                assertThat(c.revokedAt()).isEmpty();
              });
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void refusesAReusedBootstrapTokenEvenWithAValidCsr(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      Cms cms = cms(db, T0);
      String token = cms.createBootstrapToken("node-1", Duration.ofHours(1), "ops").token();
      String csr = Csrs.pem(Csrs.csr(Csrs.p256(), "node-1", "node-1"));
      cms.issue(csr, new Cms.Bootstrap(token));
      assertRefused(() -> cms.issue(csr, new Cms.Bootstrap(token)), Reason.BOOTSTRAP_TOKEN_USED);
      assertThat(cms.certificates()).hasSize(1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void refusesAnExpiredOrUnknownBootstrapToken(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      String token =
          cms(db, T0).createBootstrapToken("node-1", Duration.ofMinutes(10), "ops").token();
      String csr = Csrs.pem(Csrs.csr(Csrs.p256(), "node-1", "node-1"));
      Cms later = cms(db, T0.plus(Duration.ofMinutes(10)));
      assertRefused(
          () -> later.issue(csr, new Cms.Bootstrap(token)), Reason.BOOTSTRAP_TOKEN_EXPIRED);
      assertRefused(
          () -> later.issue(csr, new Cms.Bootstrap(token + "x")), Reason.BOOTSTRAP_TOKEN_UNKNOWN);
      assertThat(later.certificates()).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void refusesACsrForAnotherHostsNameAndKeepsTheTokenUnspent(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      Cms cms = cms(db, T0);
      String token = cms.createBootstrapToken("node-1", Duration.ofHours(1), "ops").token();
      KeyPair keys = Csrs.p256();
      Cms.Bootstrap b = new Cms.Bootstrap(token);
      // another host's name as SAN, as an extra SAN, as CN, and no SAN at all
      for (String csr :
          List.of(
              Csrs.pem(Csrs.csr(keys, "node-1", "node-2")),
              Csrs.pem(Csrs.csr(keys, "node-1", "node-1", "node-2")),
              Csrs.pem(Csrs.csr(keys, "node-2", "node-1")),
              Csrs.pem(Csrs.csr(keys, "node-1")))) {
        assertRefused(() -> cms.issue(csr, b), Reason.CSR_NAME_MISMATCH);
      }
      // an enrolling account naming node-2 cannot get node-1's name either
      assertRefused(
          () ->
              cms.issue(
                  Csrs.pem(Csrs.csr(keys, "node-1", "node-1")), new Cms.Enroller("a", "node-2")),
          Reason.CSR_NAME_MISMATCH);
      // the refusals did not spend the token
      assertThat(cms.issue(Csrs.pem(Csrs.csr(keys, "node-1", "node-1")), b).hostId())
          .isEqualTo("node-1");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void refusesACsrWhoseSignatureDoesNotVerifyOrThatIsNoCsr(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      Cms cms = cms(db, T0);
      Cms.Bootstrap b =
          new Cms.Bootstrap(cms.createBootstrapToken("node-1", Duration.ofHours(1), "ops").token());
      var csr = Csrs.csr(Csrs.p256(), "node-1", "node-1");
      assertRefused(() -> cms.issue(Csrs.flippedSignature(csr), b), Reason.CSR_SIGNATURE_INVALID);
      String pem = Csrs.pem(csr);
      assertRefused(() -> cms.issue(pem.substring(0, pem.length() / 2), b), Reason.CSR_MALFORMED);
      assertRefused(() -> cms.issue("not a csr", b), Reason.CSR_MALFORMED);
      assertRefused(() -> cms.issue(pem + pem, b), Reason.CSR_MALFORMED);
      assertThat(cms.certificates()).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void refusesBadHostIdsAndTokenLifetimes(String kind) {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      Cms cms = cms(db, T0);
      for (String bad : List.of("", "a,b", "-node", "node_1", "x".repeat(254))) {
        assertRefused(
            () -> cms.createBootstrapToken(bad, Duration.ofHours(1), "ops"),
            Reason.HOST_ID_INVALID);
      }
      assertRefused(
          () -> cms.createBootstrapToken("node-1", Duration.ZERO, "ops"),
          Reason.TOKEN_LIFETIME_INVALID);
      assertRefused(
          () -> cms.createBootstrapToken("node-1", Duration.ofDays(8), "ops"),
          Reason.TOKEN_LIFETIME_INVALID);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void aRevokedCertificateIsInTheCrlTheIntermediateSigned(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      Cms cms = cms(db, T0);
      Cms.Issued kept =
          cms.issue(
              Csrs.pem(Csrs.csr(Csrs.p256(), "node-1", "node-1")),
              new Cms.Enroller("ops", "node-1"));
      Cms.Issued revoked =
          cms.issue(
              Csrs.pem(Csrs.csr(Csrs.p256(), "node-2", "node-2")),
              new Cms.Enroller("ops", "node-2"));
      cms.revoke(revoked.serial().toUpperCase(java.util.Locale.ROOT));
      cms.revoke(revoked.serial());
      assertRefused(() -> cms.revoke("abcdef"), Reason.CERTIFICATE_UNKNOWN);
      assertRefused(() -> cms.revoke("not-hex"), Reason.CERTIFICATE_UNKNOWN);

      X509CRL crl =
          (X509CRL)
              CertificateFactory.getInstance("X.509")
                  .generateCRL(new ByteArrayInputStream(cms.crl()));
      crl.verify(cms.authority().chain().get(0).getPublicKey());
      assertThat(crl.isRevoked(revoked.certificate())).isTrue();
      assertThat(crl.isRevoked(kept.certificate())).isFalse();
      assertThat(crl.getRevokedCertificates()).hasSize(1);
      assertThat(crl.getNextUpdate().toInstant()).isAfter(T0);
      assertThat(cms.certificates())
          .filteredOn(c -> c.serial().equals(revoked.serial()))
          .singleElement()
          .satisfies(c -> assertThat(c.revokedAt()).contains(T0));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void renewalNeedsALiveCertificateOfThisCmsAndASignatureByItsKeyOverTheCsr(String kind)
      throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      Clock clock = Clock.fixed(T0, ZoneOffset.UTC);
      Cms cms =
          new Cms(db, CmsAuthority.loadOrCreate(db, SEALER, clock), clock, Duration.ofHours(3));
      KeyPair current = Csrs.p256();
      X509Certificate cert =
          cms.issue(
                  Csrs.pem(Csrs.csr(current, "node-1", "node-1")),
                  new Cms.Bootstrap(
                      cms.createBootstrapToken("node-1", Duration.ofHours(1), "ops").token()))
              .certificate();
      KeyPair next = Csrs.p256();
      var csr = Csrs.csr(next, "node-1", "node-1");

      Cms.Issued renewed =
          cms.issue(Csrs.pem(csr), new Cms.Renewal(cert, sign(current, csr.getEncoded())));
      assertThat(renewed.hostId()).isEqualTo("node-1");
      assertThat(renewed.certificate().getPublicKey()).isEqualTo(next.getPublic());
      assertThat(Duration.between(T0, renewed.certificate().getNotAfter().toInstant()))
          .isEqualTo(Duration.ofHours(3));

      // a signature by the new key, or over other bytes, proves nothing about the current key
      assertRefused(
          () -> cms.issue(Csrs.pem(csr), new Cms.Renewal(cert, sign(next, csr.getEncoded()))),
          Reason.RENEWAL_SIGNATURE_INVALID);
      assertRefused(
          () -> cms.issue(Csrs.pem(csr), new Cms.Renewal(cert, sign(current, new byte[] {1}))),
          Reason.RENEWAL_SIGNATURE_INVALID);
      // the names stay the certificate's host's
      var elsewhere = Csrs.csr(next, "node-2", "node-2");
      assertRefused(
          () ->
              cms.issue(
                  Csrs.pem(elsewhere),
                  new Cms.Renewal(cert, sign(current, elsewhere.getEncoded()))),
          Reason.CSR_NAME_MISMATCH);
      // a certificate another CA signed, however well formed
      dev.vouch.agent.trust.TestPki.Issued foreign =
          dev.vouch.agent.trust.TestPki.create("Other CA").issueTls("node-1");
      assertRefused(
          () ->
              cms.issue(
                  Csrs.pem(csr),
                  new Cms.Renewal(foreign.certificate(), sign(foreign.keys(), csr.getEncoded()))),
          Reason.RENEWAL_CERTIFICATE_UNKNOWN);
      // expired: the holder must enroll again
      Clock later = Clock.fixed(T0.plus(Duration.ofHours(4)), ZoneOffset.UTC);
      Cms afterwards = new Cms(db, cms.authority(), later, Duration.ofHours(3));
      assertRefused(
          () ->
              afterwards.issue(
                  Csrs.pem(csr), new Cms.Renewal(cert, sign(current, csr.getEncoded()))),
          Reason.RENEWAL_CERTIFICATE_EXPIRED);
      // revoked
      cms.revoke(cert.getSerialNumber().toString(16));
      assertRefused(
          () -> cms.issue(Csrs.pem(csr), new Cms.Renewal(cert, sign(current, csr.getEncoded()))),
          Reason.RENEWAL_CERTIFICATE_REVOKED);
    }
  }

  private static byte[] sign(KeyPair keys, byte[] data) throws Exception {
    java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSA");
    s.initSign(keys.getPrivate());
    s.update(data);
    return s.sign();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void replicasShareOneCaWhoseKeysAreSealed(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      CmsAuthority a = CmsAuthority.loadOrCreate(db, SEALER, Clock.systemUTC());
      CmsAuthority b = CmsAuthority.loadOrCreate(db, SEALER, Clock.systemUTC());
      assertThat(b.chain()).isEqualTo(a.chain());
      // under another KEK the stored intermediate key does not open: the CA refuses to load
      byte[] otherKek = new byte[32];
      otherKek[0] = 1;
      assertThatThrownBy(
              () -> CmsAuthority.loadOrCreate(db, new Sealer(otherKek), Clock.systemUTC()))
          .isInstanceOf(Sealer.SealedDataException.class);
    }
  }

  private static void assertRefused(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Reason reason) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(CmsException.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }

  public static List<X509Certificate> parseChain(String pem) throws Exception {
    Collection<? extends java.security.cert.Certificate> certs =
        CertificateFactory.getInstance("X.509")
            .generateCertificates(
                new ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    return certs.stream().map(c -> (X509Certificate) c).toList();
  }
}
