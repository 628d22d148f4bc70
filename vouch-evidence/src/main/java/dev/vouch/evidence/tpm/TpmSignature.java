package dev.vouch.evidence.tpm;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.core.crypto.SignatureScheme;
import dev.vouch.core.crypto.Signatures;
import java.nio.ByteBuffer;
import java.security.interfaces.RSAPublicKey;
import java.util.Optional;

/**
 * A TPMT_SIGNATURE ({@code tpm2_quote -s quote.sig}), or a signature in tpm2-tools' {@code -f
 * plain} form wrapped with the scheme the caller knows. Vouch verifies RSASSA, RSAPSS and ECDSA;
 * the other TPM schemes are recognised so that they fail as {@link Failure#UNSUPPORTED}, not as
 * malformed input.
 *
 * <p>Immutable. {@link #value()} is ready for JCA: the RSA signature block, or the DER encoding of
 * an ECDSA (r, s).
 */
public final class TpmSignature {

  /** TPMI_ALG_SIG_SCHEME values. */
  public enum Algorithm {
    HMAC(TpmAlg.HMAC),
    NULL(TpmAlg.NULL),
    RSASSA(TpmAlg.RSASSA),
    RSAPSS(TpmAlg.RSAPSS),
    ECDSA(TpmAlg.ECDSA),
    ECDAA(TpmAlg.ECDAA),
    SM2(TpmAlg.SM2),
    ECSCHNORR(TpmAlg.ECSCHNORR);

    private final int tpmId;

    Algorithm(int tpmId) {
      this.tpmId = tpmId;
    }

    public int tpmId() {
      return tpmId;
    }

    static Optional<Algorithm> fromTpmId(int id) {
      for (Algorithm a : values()) {
        if (a.tpmId == id) {
          return Optional.of(a);
        }
      }
      return Optional.empty();
    }
  }

  private final Algorithm algorithm;
  private final HashAlg hash;
  private final byte[] value;

  private TpmSignature(Algorithm algorithm, HashAlg hash, byte[] value) {
    this.algorithm = algorithm;
    this.hash = hash;
    this.value = value;
  }

  /**
   * Parses a complete TPMT_SIGNATURE.
   *
   * @throws VerificationException {@link Failure#TRUNCATED} or {@link Failure#MALFORMED} for a bad
   *     structure, {@link Failure#UNSUPPORTED} for an unknown scheme or hash
   */
  public static TpmSignature parse(byte[] bytes) throws VerificationException {
    return Marshal.exactly(bytes, "TPMT_SIGNATURE", TpmSignature::read);
  }

  /** Reads a TPMT_SIGNATURE. */
  public static TpmSignature read(ByteReader r) throws VerificationException {
    int id = r.u16();
    Algorithm alg =
        Algorithm.fromTpmId(id)
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.UNSUPPORTED, "TPMT_SIGNATURE: scheme " + TpmAlg.name(id)));
    return switch (alg) {
      case NULL -> new TpmSignature(alg, null, new byte[0]);
      case RSASSA, RSAPSS -> new TpmSignature(alg, Marshal.hash(r, "TPMT_SIGNATURE"), r.sized16());
      case ECDSA -> {
        HashAlg h = Marshal.hash(r, "TPMT_SIGNATURE");
        byte[] sr = r.sized16();
        byte[] ss = r.sized16();
        yield new TpmSignature(alg, h, Signatures.ecdsaDer(sr, ss));
      }
      case ECDAA, SM2, ECSCHNORR -> {
        HashAlg h = Marshal.hash(r, "TPMT_SIGNATURE");
        byte[] sr = r.sized16();
        byte[] ss = r.sized16();
        byte[] rs = new byte[sr.length + ss.length];
        System.arraycopy(sr, 0, rs, 0, sr.length);
        System.arraycopy(ss, 0, rs, sr.length, ss.length);
        yield new TpmSignature(alg, h, rs);
      }
      case HMAC -> {
        HashAlg h = Marshal.hash(r, "TPMT_HA");
        yield new TpmSignature(alg, h, r.bytes(h.size()));
      }
    };
  }

  /**
   * Marshals an ECDSA TPMT_SIGNATURE from the two signature integers, as a TPM returns it from
   * TPM2_Quote; for software TPMs whose signatures must pass {@link #parse} like real ones.
   *
   * @param hash the hash the signer used
   * @param r the signature's r, big-endian unsigned (the IEEE P1363 first half)
   * @param s the signature's s, same form
   */
  public static byte[] encodeEcdsa(HashAlg hash, byte[] r, byte[] s) {
    if (r.length > 0xFFFF || s.length > 0xFFFF) {
      throw new IllegalArgumentException("ECDSA integer longer than a TPM2B");
    }
    return ByteBuffer.allocate(8 + r.length + s.length)
        .putShort((short) TpmAlg.ECDSA)
        .putShort((short) hash.tpmId())
        .putShort((short) r.length)
        .put(r)
        .putShort((short) s.length)
        .put(s)
        .array();
  }

  /**
   * A signature in tpm2-tools' {@code -f plain} form: the PKCS#1/PSS signature block for RSA, the
   * DER encoding for ECDSA. The form carries no scheme, so the caller names it.
   */
  public static TpmSignature plain(Algorithm algorithm, HashAlg hash, byte[] value) {
    return new TpmSignature(algorithm, hash, value.clone());
  }

  /**
   * Reads a signature file in either form: a TPMT_SIGNATURE, or else a plain signature that fits
   * the key (RSA: exactly the modulus length; ECDSA: a DER SEQUENCE). A plain signature takes the
   * scheme fixed in the AK when it has one, otherwise RSASSA or ECDSA with {@code plainHash}.
   *
   * @throws VerificationException {@link Failure#KEY_MISMATCH} for a plain signature of the other
   *     key type, else the TPMT_SIGNATURE parse failure when neither form fits
   */
  public static TpmSignature decode(byte[] bytes, AkKey ak, HashAlg plainHash)
      throws VerificationException {
    try {
      return parse(bytes);
    } catch (VerificationException notTpmt) {
      Optional<TpmPublic.Scheme> fixed = ak.tpmPublic().flatMap(TpmPublic::signingScheme);
      HashAlg hash = fixed.flatMap(TpmPublic.Scheme::hash).orElse(plainHash);
      if (ak.publicKey() instanceof RSAPublicKey rsa
          && bytes.length == (rsa.getModulus().bitLength() + 7) / 8) {
        boolean pss = fixed.map(s -> s.scheme() == TpmAlg.RSAPSS).orElse(false);
        return plain(pss ? Algorithm.RSAPSS : Algorithm.RSASSA, hash, bytes);
      }
      if (ak.isEc() && looksLikeDerSequence(bytes)) {
        return plain(Algorithm.ECDSA, hash, bytes);
      }
      boolean rsaSized = bytes.length >= 128 && bytes.length <= 512 && bytes.length % 64 == 0;
      if ((ak.isEc() && rsaSized) || (ak.isRsa() && looksLikeDerSequence(bytes))) {
        throw new VerificationException(
            Failure.KEY_MISMATCH,
            "a plain " + (ak.isEc() ? "RSA" : "ECDSA") + " signature cannot come from this AK");
      }
      throw notTpmt;
    }
  }

  private static boolean looksLikeDerSequence(byte[] b) {
    if (b.length < 8 || b[0] != 0x30) {
      return false;
    }
    int len = b[1] & 0xff;
    if (len < 0x80) {
      return len == b.length - 2;
    }
    return len == 0x81 && b.length > 3 && (b[2] & 0xff) == b.length - 3;
  }

  public Algorithm algorithm() {
    return algorithm;
  }

  /** The hash the TPM signed with; empty for the NULL scheme. */
  public Optional<HashAlg> hash() {
    return Optional.ofNullable(hash);
  }

  /** The JCA-ready signature bytes (see the class comment); raw r||s for other ECC schemes. */
  public byte[] value() {
    return value.clone();
  }

  byte[] valueUnsafe() {
    return value;
  }

  /** The scheme Vouch verifies this signature with, or empty when Vouch cannot verify it. */
  public Optional<SignatureScheme> scheme() {
    if (hash == null) {
      return Optional.empty();
    }
    return switch (algorithm) {
      case RSASSA -> SignatureScheme.of(SignatureScheme.Family.RSA_PKCS1, hash);
      case RSAPSS -> SignatureScheme.of(SignatureScheme.Family.RSA_PSS, hash);
      case ECDSA -> SignatureScheme.of(SignatureScheme.Family.ECDSA, hash);
      default -> Optional.empty();
    };
  }

  @Override
  public String toString() {
    return "TpmSignature[" + algorithm + (hash == null ? "" : "/" + hash.shortName()) + "]";
  }
}
