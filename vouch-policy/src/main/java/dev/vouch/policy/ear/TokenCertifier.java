package dev.vouch.policy.ear;

import dev.vouch.core.crypto.Crypto;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certifies token signing keys for the {@code x5c} header: a configured CA issues a certificate for
 * each signing key as it comes into use, so that the chain in a token always names the key that
 * signed it, across rotations. Relying parties pin the CA's root and validate {@code x5c} to it, as
 * with Trustee's {@code cert_path}. Leaves carry digitalSignature only, are no CA, and are valid
 * from the key's creation for {@code validity}; a leaf is issued again once less than half of that
 * is left, so every leaf in a token outlives the token. Thread-safe.
 */
public final class TokenCertifier {
  private static final Duration SKEW = Duration.ofMinutes(5);

  private final PrivateKey caKey;
  private final List<X509Certificate> caChain;
  private final Duration validity;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final ConcurrentHashMap<String, X509Certificate> leaves = new ConcurrentHashMap<>();

  private TokenCertifier(
      PrivateKey caKey, List<X509Certificate> caChain, Duration validity, Clock clock) {
    this.caKey = caKey;
    this.caChain = List.copyOf(caChain);
    this.validity = validity;
    this.clock = clock;
  }

  /**
   * A certifier issuing from {@code caKey}, the key of {@code caChain.get(0)}.
   *
   * @param caChain the issuing CA first, then its issuers (the root may be left out)
   * @param validity how long each leaf is valid; at least twice the token lifetime
   * @throws IllegalArgumentException when the key is not the first certificate's, that certificate
   *     is no CA that may sign certificates, a certificate is not issued by the next or not valid
   *     now
   */
  public static TokenCertifier of(
      PrivateKey caKey, List<X509Certificate> caChain, Duration validity, Clock clock) {
    if (caChain.isEmpty()) {
      throw new IllegalArgumentException("the CA chain holds no certificate");
    }
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("the leaf validity must be positive");
    }
    X509Certificate ca = caChain.get(0);
    if (!keyMatches(caKey, ca.getPublicKey())) {
      throw new IllegalArgumentException(
          "the CA key does not match the first certificate of the chain ("
              + ca.getSubjectX500Principal().getName()
              + ")");
    }
    boolean[] usage = ca.getKeyUsage();
    if (ca.getBasicConstraints() < 0 || (usage != null && !usage[5])) {
      throw new IllegalArgumentException(
          "the first certificate of the chain is no CA allowed to sign certificates");
    }
    Date now = Date.from(clock.instant());
    for (int i = 0; i < caChain.size(); i++) {
      X509Certificate c = caChain.get(i);
      try {
        c.checkValidity(now);
        if (i + 1 < caChain.size()) {
          c.verify(caChain.get(i + 1).getPublicKey(), Crypto.bouncyCastle());
        }
      } catch (CertificateException e) {
        throw new IllegalArgumentException(
            "certificate " + i + " of the chain is not valid now: " + e.getMessage());
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException(
            "certificate " + i + " of the chain is not issued by the next one");
      }
    }
    return new TokenCertifier(caKey, caChain, validity, clock);
  }

  /** The {@code x5c} chain for a signing key: its leaf, then the CA chain. */
  public List<X509Certificate> chainFor(SigningKey key) {
    Instant now = clock.instant();
    X509Certificate leaf =
        leaves.compute(
            key.kid(),
            (kid, old) ->
                old != null
                        && old.getNotAfter().toInstant().isAfter(now.plus(validity.dividedBy(2)))
                    ? old
                    : issue(key, now));
    List<X509Certificate> out = new ArrayList<>(caChain.size() + 1);
    out.add(leaf);
    out.addAll(caChain);
    return out;
  }

  private X509Certificate issue(SigningKey key, Instant now) {
    try {
      PublicKey pub = key.key().toECPublicKey();
      Instant from = key.created().isBefore(now) ? key.created() : now;
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              caChain.get(0),
              new BigInteger(127, random).add(BigInteger.ONE),
              Date.from(from.minus(SKEW)),
              Date.from(now.plus(validity)),
              new X500Name("CN=vouch EAR key " + key.kid()),
              pub);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pub));
      b.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          ext.createAuthorityKeyIdentifier(caChain.get(0)));
      String alg = caKey instanceof ECPrivateKey ? "SHA256withECDSA" : "SHA256withRSA";
      return new JcaX509CertificateConverter()
          .getCertificate(
              b.build(
                  new JcaContentSignerBuilder(alg)
                      .setProvider(Crypto.bouncyCastle())
                      .build(caKey)));
    } catch (GeneralSecurityException
        | OperatorCreationException
        | CertIOException
        | com.nimbusds.jose.JOSEException e) {
      throw new IllegalStateException("cannot certify signing key " + key.kid(), e);
    }
  }

  // a signature made with the private key that the certificate's public key verifies
  private static boolean keyMatches(PrivateKey priv, PublicKey pub) {
    String alg =
        switch (priv.getAlgorithm()) {
          case "EC", "ECDSA" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          default -> null;
        };
    if (alg == null) {
      return false;
    }
    try {
      byte[] probe = "vouch token CA key check".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      Signature s = Signature.getInstance(alg, Crypto.bouncyCastle());
      s.initSign(priv);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg, Crypto.bouncyCastle());
      v.initVerify(pub);
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
