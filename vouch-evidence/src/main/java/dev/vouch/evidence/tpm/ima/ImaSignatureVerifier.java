package dev.vouch.evidence.tpm.ima;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.HashAlg;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Objects;

/**
 * Verifies the file signatures that {@code ima-sig} style entries carry, with keys from an {@link
 * ImaKeyring}.
 *
 * <p>{@link #verify} throws {@link Failure#SIGNATURE_INVALID} when the signature field is broken,
 * its hash algorithm is not the file digest's, or it does not verify; {@link Failure#KEY_MISMATCH}
 * when no key in the keyring has its key id; {@link Failure#UNSUPPORTED} for signature types,
 * versions or algorithms it does not handle.
 */
public final class ImaSignatureVerifier {
  // DER DigestInfo prefixes (RFC 8017 section 9.2, note 1)
  private static final byte[] SHA1_INFO = Hex.decode("3021300906052b0e03021a05000414");
  private static final byte[] SHA256_INFO = Hex.decode("3031300d060960864801650304020105000420");
  private static final byte[] SHA384_INFO = Hex.decode("3041300d060960864801650304020205000430");
  private static final byte[] SHA512_INFO = Hex.decode("3051300d060960864801650304020305000440");

  private final ImaKeyring keyring;

  public ImaSignatureVerifier(ImaKeyring keyring) {
    this.keyring = Objects.requireNonNull(keyring, "keyring");
  }

  /** Verifies the signature of one entry; the entry must carry a signature and a file digest. */
  public ImaSignature verify(ImaEntry entry) throws VerificationException {
    String what = "signature of " + entry.fileName();
    if (!entry.hasSignature()) {
      throw new VerificationException(Failure.SIGNATURE_INVALID, what + ": entry has no signature");
    }
    ImaDigest digest =
        entry
            .fileDigest()
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.SIGNATURE_INVALID, what + ": entry has no file digest"));
    ImaSignature sig;
    try {
      sig = ImaSignature.parse(entry.signature());
    } catch (VerificationException e) {
      if (e.failure() == Failure.UNSUPPORTED) {
        throw new VerificationException(Failure.UNSUPPORTED, what + ": " + e.getMessage(), e);
      }
      throw new VerificationException(Failure.SIGNATURE_INVALID, what + ": " + e.getMessage(), e);
    }
    if (digest.hashAlg().orElse(null) != sig.hashAlg() || !digest.sizeMatchesAlgorithm()) {
      throw new VerificationException(
          Failure.SIGNATURE_INVALID,
          what
              + ": signed with "
              + sig.hashAlg().shortName()
              + " but the file digest is "
              + digest.algorithm());
    }
    PublicKey key =
        keyring
            .find(sig.keyId())
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.KEY_MISMATCH, what + ": no key with id " + sig.keyIdHex()));
    if (!verifies(key, sig, digest.value())) {
      throw new VerificationException(
          Failure.SIGNATURE_INVALID, what + ": does not verify with key " + sig.keyIdHex());
    }
    return sig;
  }

  private static boolean verifies(PublicKey key, ImaSignature sig, byte[] fileDigest)
      throws VerificationException {
    try {
      if (key instanceof RSAPublicKey) {
        byte[] prefix = digestInfoPrefix(sig.hashAlg());
        byte[] info = new byte[prefix.length + fileDigest.length];
        System.arraycopy(prefix, 0, info, 0, prefix.length);
        System.arraycopy(fileDigest, 0, info, prefix.length, fileDigest.length);
        // NONEwithRSA pads the given DigestInfo with PKCS#1 v1.5 type 1, as the kernel expects
        Signature s = Signature.getInstance("NONEwithRSA");
        s.initVerify(key);
        s.update(info);
        return s.verify(sig.signature());
      }
      if (key instanceof ECPublicKey) {
        Signature s = Signature.getInstance("NONEwithECDSA", Crypto.bouncyCastle());
        s.initVerify(key);
        s.update(fileDigest);
        return s.verify(sig.signature());
      }
      throw new VerificationException(Failure.UNSUPPORTED, "key type " + key.getAlgorithm());
    } catch (java.security.SignatureException e) {
      // an undecodable signature value is a bad signature, not an error of ours
      return false;
    } catch (GeneralSecurityException e) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "signature scheme: " + e.getMessage(), e);
    }
  }

  private static byte[] digestInfoPrefix(HashAlg alg) throws VerificationException {
    return switch (alg) {
      case SHA1 -> SHA1_INFO;
      case SHA256 -> SHA256_INFO;
      case SHA384 -> SHA384_INFO;
      case SHA512 -> SHA512_INFO;
      default ->
          throw new VerificationException(Failure.UNSUPPORTED, "RSA with " + alg.shortName());
    };
  }
}
