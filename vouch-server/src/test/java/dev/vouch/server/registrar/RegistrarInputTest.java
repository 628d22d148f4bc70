package dev.vouch.server.registrar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/**
 * Requests the registrar refuses before any cryptography; the TPM flows are in vouch-cli's tests.
 */
class RegistrarInputTest {
  private static Registrar registrar() throws Exception {
    var g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    var k = g.generateKeyPair();
    X500Name n = new X500Name("CN=root");
    X509Certificate root =
        new JcaX509CertificateConverter()
            .getCertificate(
                new JcaX509v3CertificateBuilder(
                        n,
                        BigInteger.ONE,
                        Date.from(Instant.now().minusSeconds(60)),
                        Date.from(Instant.now().plusSeconds(3600)),
                        n,
                        k.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate())));
    return new Registrar(
        EkTrust.withoutRevocation(List.of(root), List.of()),
        new InMemoryEnrollmentStore(),
        Clock.systemUTC(),
        Duration.ofSeconds(60),
        new SecureRandom());
  }

  private static void assertError(Registrar r, EnrollmentRequest req, EnrollmentError error) {
    assertThatThrownBy(() -> r.begin(req))
        .isInstanceOf(EnrollmentException.class)
        .satisfies(e -> assertThat(((EnrollmentException) e).error()).isEqualTo(error));
  }

  @Test
  void hostIdThatIsNotOneSafeTokenIsMalformed() throws Exception {
    assertError(
        registrar(),
        new EnrollmentRequest("a.b", new byte[2], new byte[2], new byte[2]),
        EnrollmentError.MALFORMED_REQUEST);
  }

  @Test
  void certificateThatIsNotDerIsMalformed() throws Exception {
    assertError(
        registrar(),
        new EnrollmentRequest("h", new byte[2], new byte[] {0x30, 0x03, 1, 2, 3}, new byte[2]),
        EnrollmentError.MALFORMED_REQUEST);
  }

  @Test
  void challengesNeedAPositiveLifetime() {
    assertThatThrownBy(
            () ->
                new Registrar(
                    anyTrust(),
                    new InMemoryEnrollmentStore(),
                    Clock.systemUTC(),
                    Duration.ZERO,
                    new SecureRandom()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static EkTrust anyTrust() throws Exception {
    return EkTrust.withoutRevocation(List.of(selfSigned()), List.of());
  }

  private static X509Certificate selfSigned() throws Exception {
    var g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    var k = g.generateKeyPair();
    X500Name n = new X500Name("CN=x");
    return new JcaX509CertificateConverter()
        .getCertificate(
            new JcaX509v3CertificateBuilder(
                    n,
                    BigInteger.TWO,
                    Date.from(Instant.now()),
                    Date.from(Instant.now().plusSeconds(60)),
                    n,
                    k.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate())));
  }

  @Test
  void unknownChallengeIsReportedAsUnknown() throws Exception {
    assertThatThrownBy(() -> registrar().complete("nope", new byte[32]))
        .isInstanceOf(EnrollmentException.class)
        .satisfies(
            e ->
                assertThat(((EnrollmentException) e).error())
                    .isEqualTo(EnrollmentError.CHALLENGE_UNKNOWN));
  }

  @Test
  void errorsNameTheGeneralFailureTheyRefine() {
    assertThat(EnrollmentError.EK_CHAIN_UNTRUSTED.failure())
        .contains(dev.vouch.core.Failure.CHAIN_UNTRUSTED);
    assertThat(EnrollmentError.CHALLENGE_REPLAYED.failure()).isEmpty();
  }
}
