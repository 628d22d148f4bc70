package dev.vouch.core.crypto;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Verifies signatures with the provider measured fastest for each family: BouncyCastle for ECDSA,
 * the JDK for RSA. {@link Signature} objects are pooled per scheme and reused, because creating one
 * costs a provider lookup that is a visible share of a fast verification. A pool rather than a
 * thread-local, because servers run each request on a fresh virtual thread, where a thread-local
 * would never be reused. Each use starts with {@code initVerify}, which resets all state left by
 * the previous use.
 *
 * <p>Thread-safe. The public checks throw {@link Failure#SIGNATURE_INVALID}; only {@link #isValid}
 * answers with a boolean, for callers that try alternatives.
 */
public final class Signatures {
  /** Idle objects kept per scheme; more concurrent users simply create (and drop) extra ones. */
  private static final int POOL_SIZE = 64;

  private static final Map<SignatureScheme, Pool> POOLS = new EnumMap<>(SignatureScheme.class);

  static {
    for (SignatureScheme s : SignatureScheme.values()) {
      POOLS.put(s, new Pool(s));
    }
  }

  private static final class Pool {
    private final SignatureScheme scheme;
    private final ConcurrentLinkedQueue<Signature> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger idleCount = new AtomicInteger();

    Pool(SignatureScheme scheme) {
      this.scheme = scheme;
    }

    Signature take() {
      Signature s = idle.poll();
      if (s == null) {
        return newSignature(scheme);
      }
      idleCount.decrementAndGet();
      return s;
    }

    void give(Signature s) {
      if (idleCount.incrementAndGet() <= POOL_SIZE) {
        idle.offer(s);
      } else {
        idleCount.decrementAndGet();
      }
    }
  }

  private Signatures() {}

  private static Signature newSignature(SignatureScheme scheme) {
    try {
      if (scheme.family() == SignatureScheme.Family.ECDSA) {
        return Signature.getInstance(scheme.jcaName(), Crypto.bouncyCastle());
      }
      return Signature.getInstance(scheme.jcaName());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("JCA lacks " + scheme.jcaName(), e);
    }
  }

  /**
   * Verifies {@code signature} over {@code message} (the signed bytes, not their hash) and throws
   * unless it is valid: a check that cannot be ignored by accident.
   *
   * <p>ECDSA signatures are DER-encoded (see {@link #ecdsaDer}); RSA signatures are the raw
   * big-endian signature block. For RSA-PSS the salt length is the scheme's ({@link
   * SignatureScheme#pssSaltLength()}); each signature is tried exactly once.
   *
   * @throws VerificationException {@link Failure#SIGNATURE_INVALID} when the signature does not
   *     verify (including a malformed encoding); {@link Failure#KEY_MISMATCH} when the key cannot
   *     be used with the scheme (an EC key for an RSA scheme, a key the provider rejects)
   */
  public static void verify(SignatureScheme scheme, PublicKey key, byte[] message, byte[] signature)
      throws VerificationException {
    if (!isValid(scheme, key, message, signature)) {
      throw new VerificationException(
          Failure.SIGNATURE_INVALID, scheme + " signature does not verify");
    }
  }

  /**
   * Like {@link #verify} but the {@link Failure#SIGNATURE_INVALID} message names {@code what} (the
   * quote, the report, the certificate) for the explanation.
   */
  public static void requireValid(
      SignatureScheme scheme, PublicKey key, byte[] message, byte[] signature, String what)
      throws VerificationException {
    if (!isValid(scheme, key, message, signature)) {
      throw new VerificationException(
          Failure.SIGNATURE_INVALID, what + ": " + scheme + " signature does not verify");
    }
  }

  /**
   * Whether {@code signature} is valid, for the few callers that genuinely try alternatives (which
   * of several candidate keys signed a report) or memoise an outcome. A caller that decides whether
   * to accept evidence uses {@link #verify} or {@link #requireValid} instead.
   *
   * @throws VerificationException {@link Failure#KEY_MISMATCH} as {@link #verify}
   */
  public static boolean isValid(
      SignatureScheme scheme, PublicKey key, byte[] message, byte[] signature)
      throws VerificationException {
    requireKeyFits(scheme, key);
    Pool pool = POOLS.get(scheme);
    Signature sig = pool.take();
    try {
      return verifyOnce(sig, scheme, key, message, signature);
    } finally {
      pool.give(sig);
    }
  }

  private static void requireKeyFits(SignatureScheme scheme, PublicKey key)
      throws VerificationException {
    String alg = key.getAlgorithm();
    boolean fits =
        switch (scheme.family()) {
          case RSA_PKCS1, RSA_PSS -> key instanceof RSAPublicKey;
          case ECDSA -> "EC".equals(alg) || "ECDSA".equals(alg);
        };
    if (!fits) {
      throw new VerificationException(
          Failure.KEY_MISMATCH, scheme + " cannot be verified with a " + alg + " key");
    }
  }

  private static boolean verifyOnce(
      Signature sig, SignatureScheme scheme, PublicKey key, byte[] message, byte[] signature)
      throws VerificationException {
    try {
      sig.initVerify(key);
      if (scheme.family() == SignatureScheme.Family.RSA_PSS) {
        String h = scheme.hash().jcaName();
        sig.setParameter(
            new PSSParameterSpec(h, "MGF1", new MGF1ParameterSpec(h), scheme.pssSaltLength(), 1));
      }
      sig.update(message);
      return sig.verify(signature);
    } catch (InvalidKeyException e) {
      throw new VerificationException(
          Failure.KEY_MISMATCH, scheme + " rejects the key: " + e.getMessage(), e);
    } catch (SignatureException e) {
      // a malformed encoding (wrong length, bad DER) is a wrong signature, not a usage error
      return false;
    } catch (GeneralSecurityException | RuntimeException e) {
      // providers throw unchecked exceptions for some out-of-range values; fail closed
      return false;
    }
  }

  /**
   * DER-encodes an ECDSA signature {@code SEQUENCE { INTEGER r, INTEGER s }} from the unsigned
   * big-endian integers a TPM or a raw {@code r||s} encoding carries. Hand-written because it sits
   * on the hot path of every ECDSA quote verification.
   */
  public static byte[] ecdsaDer(byte[] r, byte[] s) {
    int rOff = firstNonZero(r);
    int sOff = firstNonZero(s);
    int rLen = integerContentLength(r, rOff);
    int sLen = integerContentLength(s, sOff);
    int content = 1 + lengthOfLength(rLen) + rLen + 1 + lengthOfLength(sLen) + sLen;
    byte[] out = new byte[1 + lengthOfLength(content) + content];
    int p = 0;
    out[p++] = 0x30;
    p = writeLength(out, p, content);
    p = writeInteger(out, p, r, rOff, rLen);
    writeInteger(out, p, s, sOff, sLen);
    return out;
  }

  /** Splits a raw {@code r||s} signature of two equal halves and DER-encodes it. */
  public static byte[] ecdsaDerFromConcatenated(byte[] rs) {
    int half = rs.length / 2;
    byte[] r = java.util.Arrays.copyOfRange(rs, 0, half);
    byte[] s = java.util.Arrays.copyOfRange(rs, half, rs.length);
    return ecdsaDer(r, s);
  }

  private static int firstNonZero(byte[] v) {
    int i = 0;
    while (i < v.length && v[i] == 0) {
      i++;
    }
    return i;
  }

  // zero is one 0x00 byte; a set top bit needs a 0x00 prefix to stay positive
  private static int integerContentLength(byte[] v, int off) {
    if (off == v.length) {
      return 1;
    }
    return v.length - off + ((v[off] & 0x80) != 0 ? 1 : 0);
  }

  private static int lengthOfLength(int len) {
    if (len < 0x80) {
      return 1;
    }
    return len < 0x100 ? 2 : len < 0x10000 ? 3 : 4;
  }

  private static int writeLength(byte[] out, int p, int len) {
    if (len < 0x80) {
      out[p++] = (byte) len;
      return p;
    }
    int n = lengthOfLength(len) - 1;
    out[p++] = (byte) (0x80 | n);
    for (int i = n - 1; i >= 0; i--) {
      out[p++] = (byte) (len >>> (8 * i));
    }
    return p;
  }

  private static int writeInteger(byte[] out, int p, byte[] v, int off, int len) {
    out[p++] = 0x02;
    p = writeLength(out, p, len);
    int valueLen = v.length - off;
    if (len > valueLen) {
      out[p++] = 0;
    }
    System.arraycopy(v, off, out, p, valueLen);
    return p + valueLen;
  }
}
