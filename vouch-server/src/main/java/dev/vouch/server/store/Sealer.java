package dev.vouch.server.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals secrets at rest with AES-256-GCM under a key-encryption key (KEK). Each blob has a fresh
 * random 96-bit nonce and is bound to where it is stored: the additional authenticated data is the
 * table name and row id, so a sealed blob copied to another row or table does not open. Blob
 * layout: version byte {@code 1}, 12-byte nonce, ciphertext with the 16-byte tag. Thread-safe.
 */
public final class Sealer {
  private static final byte VERSION = 1;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final SecretKey kek;
  private final SecureRandom random = new SecureRandom();

  /**
   * @param kek 32 bytes
   */
  public Sealer(byte[] kek) {
    if (kek.length != 32) {
      throw new IllegalArgumentException("the key-encryption key must be 32 bytes (AES-256)");
    }
    this.kek = new SecretKeySpec(kek.clone(), "AES");
  }

  /**
   * The KEK from {@code base64Kek} (the {@code VOUCH_KEK} variable) when given, else from {@code
   * file}; the file is created with a fresh random key and mode 0600 when it does not exist.
   */
  public static Sealer load(Optional<String> base64Kek, Path file) {
    if (base64Kek.isPresent()) {
      return new Sealer(Base64.getDecoder().decode(base64Kek.get().strip()));
    }
    try {
      if (!Files.exists(file)) {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(
            file, Base64.getEncoder().encodeToString(k) + "\n", StandardOpenOption.WRITE);
        Arrays.fill(k, (byte) 0);
      }
      String text = Files.readString(file).strip();
      return new Sealer(Base64.getDecoder().decode(text));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the key-encryption key " + file, e);
    }
  }

  /** Seals {@code plaintext} for row {@code id} of {@code table}. */
  public byte[] seal(byte[] plaintext, String table, String id) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, kek, new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(aad(table, id));
      byte[] ct = c.doFinal(plaintext);
      byte[] out = new byte[1 + NONCE_BYTES + ct.length];
      out[0] = VERSION;
      System.arraycopy(nonce, 0, out, 1, NONCE_BYTES);
      System.arraycopy(ct, 0, out, 1 + NONCE_BYTES, ct.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /**
   * Opens a blob sealed for row {@code id} of {@code table}.
   *
   * @throws SealedDataException when the blob is damaged, was sealed for another place, or under
   *     another KEK
   */
  public byte[] unseal(byte[] sealed, String table, String id) {
    if (sealed.length < 1 + NONCE_BYTES + TAG_BITS / 8 || sealed[0] != VERSION) {
      throw new SealedDataException("sealed blob for " + table + "/" + id + " is malformed");
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.DECRYPT_MODE,
          kek,
          new GCMParameterSpec(TAG_BITS, Arrays.copyOfRange(sealed, 1, 1 + NONCE_BYTES)));
      c.updateAAD(aad(table, id));
      return c.doFinal(sealed, 1 + NONCE_BYTES, sealed.length - 1 - NONCE_BYTES);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new SealedDataException(
          "sealed blob for " + table + "/" + id + " does not open (wrong key or moved blob)");
    } catch (GeneralSecurityException e) {
      throw new SealedDataException("sealed blob for " + table + "/" + id + ": " + e);
    }
  }

  private static byte[] aad(String table, String id) {
    return ("vouch-seal-v1\0" + table + "\0" + id).getBytes(StandardCharsets.UTF_8);
  }

  /** A sealed blob does not open. */
  public static final class SealedDataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SealedDataException(String message) {
      super(message);
    }
  }
}
