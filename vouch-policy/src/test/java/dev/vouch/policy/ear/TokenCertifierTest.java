package dev.vouch.policy.ear;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jwt.SignedJWT;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.pki.CertPaths;
import dev.vouch.core.pki.PathSettings;
import dev.vouch.core.pki.Revocation;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/**
 * Tokens carry an {@code x5c} chain for the key that signed them, across rotations; a relying party
 * that pins only the root validates the chain (PKIX, {@link CertPaths}) and then the signature with
 * the leaf's key. A CA key that is not the CA certificate's is refused when the certifier is made.
 */
class TokenCertifierTest {
  private static final VerifierId ID = new VerifierId("https://vouch.dev", "test");
  private final Instant t0 = EarTokenTest.T0;

  record Ca(KeyPair key, X509Certificate cert) {}

  static KeyPair ec() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  /** A CA certificate for {@code key}, issued by {@code issuer} (self-signed when null). */
  static Ca ca(String cn, Ca issuer, Instant from, Instant to, boolean isCa) throws Exception {
    KeyPair k = ec();
    X500Name subject = new X500Name("CN=" + cn);
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            issuer == null
                ? subject
                : new X500Name(issuer.cert().getSubjectX500Principal().getName()),
            BigInteger.valueOf(System.nanoTime()),
            Date.from(from),
            Date.from(to),
            subject,
            k.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    b.addExtension(
        Extension.keyUsage,
        true,
        new KeyUsage(isCa ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
    X509Certificate c =
        new JcaX509CertificateConverter()
            .getCertificate(
                b.build(
                    new JcaContentSignerBuilder("SHA256withECDSA")
                        .build(issuer == null ? k.getPrivate() : issuer.key().getPrivate())));
    return new Ca(k, c);
  }

  private Ca root() throws Exception {
    return ca(
        "token root", null, t0.minus(Duration.ofDays(1)), t0.plus(Duration.ofDays(3650)), true);
  }

  private static Ca issuing(Ca root, Instant t0) throws Exception {
    return ca(
        "token issuing CA",
        root,
        t0.minus(Duration.ofDays(1)),
        t0.plus(Duration.ofDays(365)),
        true);
  }

  private static String token(EarIssuer issuer) {
    return issuer.issue(Map.of("cca", Submod.of(EarTokenTest.appraisal(), Map.of())), "n");
  }

  /** What a relying party does with only the pinned root: chain first, then the signature. */
  static ECPublicKey relyingPartyVerifies(String token, X509Certificate root, Instant at)
      throws Exception {
    SignedJWT jwt = SignedJWT.parse(token);
    List<X509Certificate> chain = new ArrayList<>();
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    for (Base64 b : jwt.getHeader().getX509CertChain()) {
      chain.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.decode())));
    }
    CertPaths.validate(
        chain, List.of(), at, PathSettings.of(List.of(root)).withRevocation(Revocation.DISABLED));
    ECPublicKey leafKey = (ECPublicKey) chain.get(0).getPublicKey();
    ECDSAVerifier v = new ECDSAVerifier(leafKey);
    v.getJCAContext().setProvider(Crypto.bouncyCastle());
    if (!jwt.verify(v)) {
      throw new VerificationException(Failure.SIGNATURE_INVALID, "token signature");
    }
    return leafKey;
  }

  /** Five-minute tokens whose leaves, issued by {@code ca}, are valid for 50 hours. */
  private EarIssuer certifyingIssuer(InMemorySigningKeys keys, Ca ca) {
    Clock clock = Clock.fixed(t0, ZoneOffset.UTC);
    return new EarIssuer(keys, ID, Duration.ofMinutes(5), clock)
        .withCertifier(
            TokenCertifier.of(
                ca.key().getPrivate(), List.of(ca.cert()), Duration.ofHours(50), clock));
  }

  @Test
  void aRelyingPartyPinningTheRootVerifiesTokensAcrossAKeyRotation() throws Exception {
    Ca root = root();
    InMemorySigningKeys keys =
        new InMemorySigningKeys(EarAlgorithm.ES256, Clock.fixed(t0, ZoneOffset.UTC));
    EarIssuer issuer = certifyingIssuer(keys, issuing(root, t0));
    String before = token(issuer);
    ECPublicKey first = relyingPartyVerifies(before, root.cert(), t0);
    assertThat(first).isEqualTo(keys.current().key().toECPublicKey());
    // the header's jwk and kid name the same key the certificate does
    SignedJWT jwt = SignedJWT.parse(before);
    assertThat(jwt.getHeader().getJWK().toECKey().toECPublicKey()).isEqualTo(first);
    assertThat(jwt.getHeader().getX509CertChain()).hasSize(2);

    keys.rotate();
    String after = token(issuer);
    ECPublicKey second = relyingPartyVerifies(after, root.cert(), t0);
    assertThat(second).isEqualTo(keys.current().key().toECPublicKey()).isNotEqualTo(first);
    // the older token still verifies with the chain it carries
    assertThat(relyingPartyVerifies(before, root.cert(), t0.plusSeconds(200))).isEqualTo(first);
  }

  @Test
  void aTokenWhoseChainNamesAnotherKeyOrAnotherRootOrWasAlteredIsRefused() throws Exception {
    Ca root = root();
    InMemorySigningKeys keys =
        new InMemorySigningKeys(EarAlgorithm.ES256, Clock.fixed(t0, ZoneOffset.UTC));
    EarIssuer issuer = certifyingIssuer(keys, issuing(root, t0));
    String before = token(issuer);
    keys.rotate();
    String after = token(issuer);
    // the signature of the first token with the chain of the second: another key
    String[] a = before.split("\\.");
    String[] b = after.split("\\.");
    String swapped = b[0] + "." + a[1] + "." + a[2];
    assertThatThrownBy(() -> relyingPartyVerifies(swapped, root.cert(), t0))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.SIGNATURE_INVALID));
    // pinned to another root
    Ca stranger = root();
    assertThatThrownBy(() -> relyingPartyVerifies(after, stranger.cert(), t0))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.CHAIN_UNTRUSTED));
    // a leaf valid for 50 h is expired a week later
    assertThatThrownBy(() -> relyingPartyVerifies(after, root.cert(), t0.plus(Duration.ofDays(7))))
        .isInstanceOf(VerificationException.class);
  }

  @Test
  void aLeafIsIssuedAgainBeforeLessThanHalfItsValidityIsLeft() throws Exception {
    Ca root = root();
    Ca ca = issuing(root, t0);
    EarTokenTest.MovableClock clock = new EarTokenTest.MovableClock();
    InMemorySigningKeys keys = new InMemorySigningKeys(EarAlgorithm.ES256, clock);
    TokenCertifier c =
        TokenCertifier.of(ca.key().getPrivate(), List.of(ca.cert()), Duration.ofHours(10), clock);
    X509Certificate first = c.chainFor(keys.current()).get(0);
    clock.advance(Duration.ofHours(4));
    assertThat(c.chainFor(keys.current()).get(0)).isEqualTo(first);
    clock.advance(Duration.ofHours(2));
    X509Certificate again = c.chainFor(keys.current()).get(0);
    assertThat(again).isNotEqualTo(first);
    assertThat(again.getNotAfter().toInstant()).isEqualTo(t0.plus(Duration.ofHours(16)));
    assertThat(again.getPublicKey()).isEqualTo(first.getPublicKey());
    assertThat(again.getBasicConstraints()).isEqualTo(-1);
    assertThat(again.getKeyUsage()[0]).isTrue();
  }

  @Test
  void aCaKeyOrChainThatDoesNotFitIsRefusedWhenTheCertifierIsMade() throws Exception {
    Clock clock = Clock.fixed(t0, ZoneOffset.UTC);
    Ca root = root();
    Ca ca = issuing(root, t0);
    Ca other = issuing(root, t0);
    Duration v = Duration.ofHours(50);
    // the key of another CA than the chain's first certificate
    assertThatThrownBy(
            () -> TokenCertifier.of(other.key().getPrivate(), List.of(ca.cert()), v, clock))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not match");
    // a leaf certificate cannot issue
    Ca leaf =
        ca("not a ca", root, t0.minus(Duration.ofDays(1)), t0.plus(Duration.ofDays(9)), false);
    assertThatThrownBy(
            () -> TokenCertifier.of(leaf.key().getPrivate(), List.of(leaf.cert()), v, clock))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no CA");
    // a chain whose second certificate did not issue the first
    assertThatThrownBy(
            () ->
                TokenCertifier.of(
                    ca.key().getPrivate(), List.of(ca.cert(), other.cert()), v, clock))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not issued by the next");
    // an expired CA
    Ca old = ca("old", root, t0.minus(Duration.ofDays(30)), t0.minus(Duration.ofDays(1)), true);
    assertThatThrownBy(
            () -> TokenCertifier.of(old.key().getPrivate(), List.of(old.cert()), v, clock))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not valid now");
    assertThatThrownBy(() -> TokenCertifier.of(ca.key().getPrivate(), List.of(), v, clock))
        .isInstanceOf(IllegalArgumentException.class);
    // the good pair with its root appended is accepted
    assertThat(TokenCertifier.of(ca.key().getPrivate(), List.of(ca.cert(), root.cert()), v, clock))
        .isNotNull();
  }
}
