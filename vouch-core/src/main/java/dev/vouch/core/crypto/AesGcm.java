package dev.vouch.core.crypto;

import java.security.GeneralSecurityException;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM with a 12-byte IV, a 16-byte tag appended to the ciphertext and no associated data:
 * the wrap that Confidential Containers uses for image layer keys and sealed secrets ({@code
 * A256GCM}). Opening never returns unauthenticated bytes.
 */
public final class AesGcm {
  private AesGcm() {}

  /** Encrypts {@code plain}; the result is ciphertext then tag. */
  public static byte[] seal(byte[] key, byte[] iv, byte[] plain) {
    try {
      return cipher(Cipher.ENCRYPT_MODE, key, iv).doFinal(plain);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JCE lacks AES-GCM", e);
    }
  }

  /**
   * Decrypts ciphertext-then-tag {@code sealed[offset..]}: empty when the key is wrong or the bytes
   * were altered (the two cannot be told apart).
   */
  public static Optional<byte[]> open(byte[] key, byte[] iv, byte[] sealed, int offset) {
    try {
      return Optional.of(
          cipher(Cipher.DECRYPT_MODE, key, iv).doFinal(sealed, offset, sealed.length - offset));
    } catch (AEADBadTagException e) {
      return Optional.empty();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JCE lacks AES-GCM", e);
    }
  }

  private static Cipher cipher(int mode, byte[] key, byte[] iv) throws GeneralSecurityException {
    if (key.length != 32 || iv.length != 12) {
      throw new IllegalArgumentException("AES-256-GCM takes a 32-byte key and a 12-byte IV");
    }
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
    return c;
  }
}
