package dev.vouch.evidence.tpm.ima;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.HashAlg;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * Public keys that may sign files, indexed by IMA key id. A key's id is the last four bytes of the
 * SHA-1 of its subjectPublicKey bits (the PKCS#1 RSAPublicKey for RSA, the uncompressed point for
 * EC), which is also the X.509 subject key identifier most CAs use; for certificates the last four
 * bytes of an explicit subject key identifier are accepted too, as the kernel's keyring does.
 * Immutable.
 */
public final class ImaKeyring {
  private final Map<Integer, PublicKey> keys;

  private ImaKeyring(Map<Integer, PublicKey> keys) {
    this.keys = Map.copyOf(keys);
  }

  /** An empty keyring: every signature fails with an unknown key. */
  public static ImaKeyring empty() {
    return new ImaKeyring(Map.of());
  }

  /**
   * Reads every {@code PUBLIC KEY} and {@code CERTIFICATE} block of the given PEM texts.
   *
   * @throws VerificationException {@link Failure#MALFORMED} for a block that is not a key or
   *     certificate, {@link Failure#UNSUPPORTED} for a key type other than RSA or EC
   */
  public static ImaKeyring fromPem(List<String> pemTexts) throws VerificationException {
    Map<Integer, PublicKey> keys = new HashMap<>();
    for (String pem : pemTexts) {
      for (Block b : blocks(pem)) {
        try {
          SubjectPublicKeyInfo spki;
          List<Integer> ids = new ArrayList<>();
          if (b.type.equals("CERTIFICATE")) {
            Certificate cert = Certificate.getInstance(b.der);
            spki = cert.getSubjectPublicKeyInfo();
            Optional.ofNullable(cert.getTBSCertificate().getExtensions())
                .map(e -> e.getExtension(Extension.subjectKeyIdentifier))
                .map(e -> ASN1OctetString.getInstance(e.getParsedValue()).getOctets())
                .filter(o -> o.length >= 4)
                .ifPresent(o -> ids.add(lastFour(o)));
          } else if (b.type.equals("PUBLIC KEY")) {
            spki = SubjectPublicKeyInfo.getInstance(b.der);
          } else {
            continue;
          }
          ids.add(keyId(spki));
          PublicKey key = toKey(spki);
          for (int id : ids) {
            keys.put(id, key);
          }
        } catch (IllegalArgumentException | ClassCastException e) {
          throw new VerificationException(Failure.MALFORMED, "PEM " + b.type + " block", e);
        }
      }
    }
    return new ImaKeyring(keys);
  }

  /** The key with this IMA key id. */
  public Optional<PublicKey> find(int keyId) {
    return Optional.ofNullable(keys.get(keyId));
  }

  /** Number of distinct key ids. */
  public int size() {
    return keys.size();
  }

  /** The IMA key id of a SubjectPublicKeyInfo. */
  static int keyId(SubjectPublicKeyInfo spki) {
    return lastFour(HashAlg.SHA1.digest(spki.getPublicKeyData().getBytes()));
  }

  private static int lastFour(byte[] b) {
    int n = b.length;
    return (b[n - 4] & 0xff) << 24
        | (b[n - 3] & 0xff) << 16
        | (b[n - 2] & 0xff) << 8
        | (b[n - 1] & 0xff);
  }

  private static PublicKey toKey(SubjectPublicKeyInfo spki) throws VerificationException {
    String oid = spki.getAlgorithm().getAlgorithm().getId();
    try {
      byte[] der = spki.getEncoded();
      return switch (oid) {
        // JDK for RSA, BouncyCastle for EC (the JDK lacks curves such as secp256k1)
        case "1.2.840.113549.1.1.1" ->
            KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
        case "1.2.840.10045.2.1" ->
            KeyFactory.getInstance("EC", Crypto.bouncyCastle())
                .generatePublic(new X509EncodedKeySpec(der));
        default -> throw new VerificationException(Failure.UNSUPPORTED, "key algorithm " + oid);
      };
    } catch (java.io.IOException | java.security.GeneralSecurityException e) {
      throw new VerificationException(Failure.MALFORMED, "public key " + oid, e);
    }
  }

  private record Block(String type, byte[] der) {}

  private static List<Block> blocks(String pem) throws VerificationException {
    List<Block> out = new ArrayList<>();
    int pos = 0;
    while (true) {
      int begin = pem.indexOf("-----BEGIN ", pos);
      if (begin < 0) {
        return out;
      }
      int typeEnd = pem.indexOf("-----", begin + 11);
      if (typeEnd < 0) {
        throw new VerificationException(Failure.MALFORMED, "PEM header is not closed");
      }
      String type = pem.substring(begin + 11, typeEnd);
      String endMarker = "-----END " + type + "-----";
      int end = pem.indexOf(endMarker, typeEnd);
      if (end < 0) {
        throw new VerificationException(Failure.MALFORMED, "PEM block " + type + " has no end");
      }
      String body = pem.substring(typeEnd + 5, end);
      try {
        out.add(
            new Block(
                type, Base64.getMimeDecoder().decode(body.getBytes(StandardCharsets.US_ASCII))));
      } catch (IllegalArgumentException e) {
        throw new VerificationException(
            Failure.MALFORMED, "PEM block " + type + " is not base64", e);
      }
      pos = end + endMarker.length();
    }
  }
}
