package dev.vouch.evidence.tpm.ima;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.crypto.HashAlg;
import java.util.HexFormat;

/**
 * An IMA file signature in the version 2 format ({@code security.ima} xattr type {@code
 * EVM_IMA_XATTR_DIGSIG}): {@code 03 02 | hash algo (kernel hash_algo number) | key id (4 bytes) |
 * signature size (u16 big-endian) | signature}. The signature is over the file digest itself: RSA
 * PKCS#1 v1.5 with the digest's DigestInfo, or ECDSA over the digest.
 *
 * @param hashAlg the algorithm of the signed file digest
 * @param keyId the low 32 bits of the signer's key identifier
 * @param signature the raw RSA signature or DER ECDSA signature
 */
public record ImaSignature(HashAlg hashAlg, int keyId, byte[] signature) {
  /** {@code EVM_IMA_XATTR_DIGSIG}. */
  static final int TYPE_DIGSIG = 3;

  public ImaSignature {
    signature = signature.clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  /** The key id as eight lower-case hex digits, as {@code evmctl} prints it. */
  public String keyIdHex() {
    return HexFormat.of().toHexDigits(keyId);
  }

  /**
   * Parses a {@code sig} field. {@link Failure#MALFORMED} when the header or its size field does
   * not fit the bytes, {@link Failure#UNSUPPORTED} for other signature types, versions or hash
   * algorithms.
   */
  public static ImaSignature parse(byte[] field) throws VerificationException {
    ByteReader r = ByteReader.bigEndian(field);
    int type = r.u8();
    if (type != TYPE_DIGSIG) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "IMA signature type " + type + " is not a digital signature (3)");
    }
    int version = r.u8();
    if (version != 2) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "IMA signature version " + version + " (only 2 is supported)");
    }
    int algo = r.u8();
    HashAlg alg = kernelHashAlgo(algo);
    int keyId = r.s32();
    int size = r.u16();
    if (size != r.remaining()) {
      throw new VerificationException(
          Failure.MALFORMED,
          "IMA signature header announces "
              + size
              + " signature bytes but "
              + r.remaining()
              + " follow");
    }
    return new ImaSignature(alg, keyId, r.bytes(size));
  }

  /** The kernel's {@code enum hash_algo} numbers (include/uapi/linux/hash_info.h). */
  static HashAlg kernelHashAlgo(int id) throws VerificationException {
    return switch (id) {
      case 2 -> HashAlg.SHA1;
      case 4 -> HashAlg.SHA256;
      case 5 -> HashAlg.SHA384;
      case 6 -> HashAlg.SHA512;
      case 17 -> HashAlg.SM3_256;
      default ->
          throw new VerificationException(
              Failure.UNSUPPORTED, "IMA signature hash algorithm " + id + " is not supported");
    };
  }
}
