package dev.vouch.evidence.tpm;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.Crypto;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Optional;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * Reads an attestation key in any form tpm2-tools and the usual agents hand out, recognising the
 * form by content: PEM ({@code PUBLIC KEY}, {@code RSA PUBLIC KEY} or {@code CERTIFICATE}), DER
 * SubjectPublicKeyInfo or certificate, TPM2B_PUBLIC or bare TPMT_PUBLIC. RSA keys are built by the
 * JDK, EC keys by BouncyCastle, matching the providers {@link dev.vouch.core.crypto.Signatures}
 * verifies with.
 */
public final class AkKeys {
  private AkKeys() {}

  /**
   * Parses an AK in any supported form.
   *
   * @throws VerificationException {@link Failure#MALFORMED} or {@link Failure#TRUNCATED} for
   *     unreadable input, {@link Failure#UNSUPPORTED} for a key type other than RSA and NIST ECC
   */
  public static AkKey parse(byte[] bytes) throws VerificationException {
    String head =
        new String(bytes, 0, Math.min(bytes.length, 64), StandardCharsets.US_ASCII).strip();
    if (head.startsWith("-----BEGIN")) {
      return fromPem(new String(bytes, StandardCharsets.US_ASCII));
    }
    if (bytes.length > 0 && bytes[0] == 0x30) {
      return fromDer(bytes);
    }
    return of(TpmPublic.parse(bytes));
  }

  /** The AK of a TPM public area, which must hold an RSA or NIST ECC key. */
  public static AkKey of(TpmPublic pub) throws VerificationException {
    return new AkKey(pub.toPublicKey(), Optional.of(pub));
  }

  /** An AK from a JCA key; EC keys are re-made as BouncyCastle keys, which verify fastest. */
  public static AkKey of(PublicKey key) throws VerificationException {
    if (key instanceof RSAPublicKey) {
      return new AkKey(key, Optional.empty());
    }
    if (key instanceof ECPublicKey) {
      return new AkKey(ecKey(key.getEncoded()), Optional.empty());
    }
    throw new VerificationException(
        Failure.UNSUPPORTED, "AK type " + key.getAlgorithm() + " is not RSA or EC");
  }

  private static AkKey fromPem(String pem) throws VerificationException {
    int begin = pem.indexOf("-----BEGIN ");
    int labelEnd = pem.indexOf("-----", begin + 11);
    if (labelEnd < 0) {
      throw new VerificationException(Failure.MALFORMED, "PEM: no label");
    }
    String label = pem.substring(begin + 11, labelEnd);
    String endMarker = "-----END " + label + "-----";
    int end = pem.indexOf(endMarker, labelEnd);
    if (end < 0) {
      throw new VerificationException(Failure.MALFORMED, "PEM: no " + endMarker);
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(pem.substring(labelEnd + 5, end));
    } catch (IllegalArgumentException e) {
      throw new VerificationException(Failure.MALFORMED, "PEM: bad base64", e);
    }
    return switch (label) {
      case "PUBLIC KEY" -> fromSpki(der);
      case "RSA PUBLIC KEY" -> fromPkcs1(der);
      case "CERTIFICATE" -> of(certificate(der).getPublicKey());
      default -> throw new VerificationException(Failure.UNSUPPORTED, "PEM label " + label);
    };
  }

  private static AkKey fromDer(byte[] der) throws VerificationException {
    try {
      return fromSpki(der);
    } catch (VerificationException notSpki) {
      if (notSpki.failure() != Failure.MALFORMED) {
        throw notSpki;
      }
      try {
        return of(certificate(der).getPublicKey());
      } catch (VerificationException notCert) {
        throw notSpki;
      }
    }
  }

  private static AkKey fromPkcs1(byte[] der) throws VerificationException {
    byte[] spki;
    try {
      spki =
          new SubjectPublicKeyInfo(
                  new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
                  der)
              .getEncoded();
    } catch (java.io.IOException | RuntimeException e) {
      throw new VerificationException(Failure.MALFORMED, "RSA PUBLIC KEY: " + e.getMessage(), e);
    }
    return fromSpki(spki);
  }

  private static AkKey fromSpki(byte[] der) throws VerificationException {
    SubjectPublicKeyInfo info;
    try {
      info = SubjectPublicKeyInfo.getInstance(der);
      if (info == null || info.getEncoded().length != der.length) {
        throw new IllegalArgumentException("trailing bytes");
      }
    } catch (java.io.IOException | RuntimeException e) {
      throw new VerificationException(
          Failure.MALFORMED, "SubjectPublicKeyInfo: " + e.getMessage(), e);
    }
    var oid = info.getAlgorithm().getAlgorithm();
    try {
      if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) {
        return new AkKey(
            KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der)),
            Optional.empty());
      }
    } catch (GeneralSecurityException e) {
      throw new VerificationException(Failure.MALFORMED, "RSA key: " + e.getMessage(), e);
    }
    if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
      return new AkKey(ecKey(der), Optional.empty());
    }
    throw new VerificationException(Failure.UNSUPPORTED, "AK key algorithm " + oid);
  }

  private static PublicKey ecKey(byte[] spki) throws VerificationException {
    try {
      return KeyFactory.getInstance("EC", Crypto.bouncyCastle())
          .generatePublic(new X509EncodedKeySpec(spki));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new VerificationException(Failure.MALFORMED, "EC key: " + e.getMessage(), e);
    }
  }

  static X509Certificate certificate(byte[] der) throws VerificationException {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(der));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new VerificationException(Failure.MALFORMED, "certificate: " + e.getMessage(), e);
    }
  }

  /** Same RSA modulus and exponent, or same EC curve and point. */
  static boolean sameKey(PublicKey a, PublicKey b) {
    if (a instanceof RSAPublicKey ra && b instanceof RSAPublicKey rb) {
      return ra.getModulus().equals(rb.getModulus())
          && ra.getPublicExponent().equals(rb.getPublicExponent());
    }
    if (a instanceof ECPublicKey ea && b instanceof ECPublicKey eb) {
      return ea.getW().equals(eb.getW())
          && ea.getParams().getCurve().equals(eb.getParams().getCurve())
          && ea.getParams().getGenerator().equals(eb.getParams().getGenerator());
    }
    return false;
  }
}
