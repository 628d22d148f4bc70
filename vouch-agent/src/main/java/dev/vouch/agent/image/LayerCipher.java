package dev.vouch.agent.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * ocicrypt's layer cipher, AES-256-CTR with HMAC-SHA256 (keyed with the layer key) over the
 * ciphertext, streamed from one file to another through a fixed buffer. Both directions hash what
 * they read and what they write, so callers check the plain and encrypted digests in one pass.
 */
final class LayerCipher {
  private LayerCipher() {}

  /** What one pass saw: bytes, HMAC over the ciphertext, digests of the input and the output. */
  record Pass(long bytes, byte[] hmac, byte[] inHash, byte[] outHash) {}

  static Pass run(
      boolean encrypt,
      byte[] key,
      byte[] nonce,
      Path from,
      Path to,
      MessageDigest inDigest,
      MessageDigest outDigest)
      throws IOException {
    long n = 0;
    try (InputStream in = Files.newInputStream(from);
        OutputStream os = Files.newOutputStream(to)) {
      Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
      ctr.init(
          encrypt ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE,
          new SecretKeySpec(key, "AES"),
          new IvParameterSpec(nonce));
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] buf = new byte[OciLayout.BUFFER];
      byte[] res = new byte[OciLayout.BUFFER];
      int r;
      while ((r = in.read(buf)) > 0) {
        n += r;
        inDigest.update(buf, 0, r);
        int w = ctr.update(buf, 0, r, res);
        // the HMAC covers the ciphertext: the input when decrypting, the output when encrypting
        if (encrypt) {
          mac.update(res, 0, w);
        } else {
          mac.update(buf, 0, r);
        }
        outDigest.update(res, 0, w);
        os.write(res, 0, w);
      }
      return new Pass(n, mac.doFinal(), inDigest.digest(), outDigest.digest());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JCE lacks AES-CTR or HMAC-SHA256", e);
    }
  }
}
