package dev.vouch.evidence.tpm;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.HashAlg;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import java.util.Optional;
import org.bouncycastle.jce.ECNamedCurveTable;
import org.bouncycastle.jce.spec.ECNamedCurveParameterSpec;
import org.bouncycastle.jce.spec.ECPublicKeySpec;

/**
 * A TPMT_PUBLIC: the public area of a TPM object, as read from a TPM2B_PUBLIC ({@code
 * tpm2_readpublic -o}) or a bare TPMT_PUBLIC (go-tpm-tools, go-attestation). RSA and ECC keys are
 * fully decoded and convertible to a JCA key; KEYEDHASH and SYMCIPHER objects are decoded far
 * enough to compute their name.
 *
 * <p>Immutable. The exact marshalled bytes are kept, because the object's name is their hash.
 */
public final class TpmPublic {

  /** objectAttributes bits (TPMA_OBJECT). */
  public static final int FIXED_TPM = 1 << 1;

  public static final int ST_CLEAR = 1 << 2;
  public static final int FIXED_PARENT = 1 << 4;
  public static final int SENSITIVE_DATA_ORIGIN = 1 << 5;
  public static final int USER_WITH_AUTH = 1 << 6;
  public static final int ADMIN_WITH_POLICY = 1 << 7;
  public static final int NO_DA = 1 << 10;
  public static final int ENCRYPTED_DUPLICATION = 1 << 11;
  public static final int RESTRICTED = 1 << 16;
  public static final int DECRYPT = 1 << 17;
  public static final int SIGN_ENCRYPT = 1 << 18;
  public static final int X509_SIGN = 1 << 19;

  /** TPMI_ALG_PUBLIC: the object type. */
  public enum Type {
    RSA(TpmAlg.RSA),
    KEYEDHASH(TpmAlg.KEYEDHASH),
    ECC(TpmAlg.ECC),
    SYMCIPHER(TpmAlg.SYMCIPHER);

    private final int tpmId;

    Type(int tpmId) {
      this.tpmId = tpmId;
    }

    public int tpmId() {
      return tpmId;
    }

    static Optional<Type> fromTpmId(int id) {
      for (Type t : values()) {
        if (t.tpmId == id) {
          return Optional.of(t);
        }
      }
      return Optional.empty();
    }
  }

  /**
   * TPMT_SYM_DEF_OBJECT; {@code algorithm == TpmAlg.NULL} (with zero key bits and mode) for none.
   */
  public record SymDef(int algorithm, int keyBits, int mode) {
    public boolean isNull() {
      return algorithm == TpmAlg.NULL;
    }
  }

  /**
   * A TPMT_*_SCHEME or TPMT_KDF_SCHEME: the scheme id and, when the scheme has one, its hash
   * ({@code TpmAlg.NULL} otherwise). {@code extra} is the ECDAA commit count or the XOR KDF, else
   * 0.
   */
  public record Scheme(int scheme, int hashAlg, int extra) {
    public boolean isNull() {
      return scheme == TpmAlg.NULL;
    }

    /** The hash as a Vouch algorithm, when it is one Vouch knows. */
    public Optional<HashAlg> hash() {
      return HashAlg.fromTpmId(hashAlg);
    }

    @Override
    public String toString() {
      return isNull() ? "NULL" : TpmAlg.name(scheme) + "/" + TpmAlg.name(hashAlg);
    }
  }

  /** TPMU_PUBLIC_PARMS. */
  public sealed interface Parameters
      permits RsaParameters, EccParameters, KeyedHashParameters, SymCipherParameters {}

  /**
   * TPMS_RSA_PARMS.
   *
   * @param exponent the public exponent as marshalled; 0 means the default 65537, see {@link
   *     #effectiveExponent()}
   */
  public record RsaParameters(SymDef symmetric, Scheme scheme, int keyBits, long exponent)
      implements Parameters {
    public long effectiveExponent() {
      return exponent == 0 ? 65537 : exponent;
    }
  }

  /** TPMS_ECC_PARMS; {@code curveId} is the TPM_ECC_CURVE value, see {@link EccCurve}. */
  public record EccParameters(SymDef symmetric, Scheme scheme, int curveId, Scheme kdf)
      implements Parameters {
    public Optional<EccCurve> curve() {
      return EccCurve.fromTpmId(curveId);
    }
  }

  /** TPMS_KEYEDHASH_PARMS. */
  public record KeyedHashParameters(Scheme scheme) implements Parameters {}

  /** TPMS_SYMCIPHER_PARMS. */
  public record SymCipherParameters(SymDef symmetric) implements Parameters {}

  /** TPMU_PUBLIC_ID: the unique field. Arrays are copied in and out. */
  public sealed interface Unique permits RsaModulus, EccPoint, UniqueDigest {}

  /** The RSA modulus, big-endian, unsigned. */
  public record RsaModulus(byte[] modulus) implements Unique {
    public RsaModulus {
      modulus = modulus.clone();
    }

    @Override
    public byte[] modulus() {
      return modulus.clone();
    }
  }

  /** The ECC public point, coordinates big-endian, unsigned. */
  public record EccPoint(byte[] x, byte[] y) implements Unique {
    public EccPoint {
      x = x.clone();
      y = y.clone();
    }

    @Override
    public byte[] x() {
      return x.clone();
    }

    @Override
    public byte[] y() {
      return y.clone();
    }
  }

  /** The unique digest of a KEYEDHASH or SYMCIPHER object. */
  public record UniqueDigest(byte[] digest) implements Unique {
    public UniqueDigest {
      digest = digest.clone();
    }

    @Override
    public byte[] digest() {
      return digest.clone();
    }
  }

  private final Type type;
  private final HashAlg nameAlg;
  private final int objectAttributes;
  private final byte[] authPolicy;
  private final Parameters parameters;
  private final Unique unique;
  private final byte[] encoded;

  private TpmPublic(
      Type type,
      HashAlg nameAlg,
      int objectAttributes,
      byte[] authPolicy,
      Parameters parameters,
      Unique unique,
      byte[] encoded) {
    this.type = type;
    this.nameAlg = nameAlg;
    this.objectAttributes = objectAttributes;
    this.authPolicy = authPolicy;
    this.parameters = parameters;
    this.unique = unique;
    this.encoded = encoded;
  }

  /**
   * Parses a TPM2B_PUBLIC or a bare TPMT_PUBLIC. The input is taken as a TPM2B_PUBLIC when its
   * first two bytes equal the length of the rest; a TPMT_PUBLIC cannot look like that, because its
   * first two bytes are the object type (1, 8, 0x23 or 0x25), far below any real public area size.
   */
  public static TpmPublic parse(byte[] bytes) throws VerificationException {
    if (bytes.length >= 2 && (((bytes[0] & 0xff) << 8) | (bytes[1] & 0xff)) == bytes.length - 2) {
      return fromTpm2b(bytes);
    }
    return fromTpmt(bytes);
  }

  /** Parses a complete TPM2B_PUBLIC (two-byte size, then a TPMT_PUBLIC of exactly that size). */
  public static TpmPublic fromTpm2b(byte[] bytes) throws VerificationException {
    return Marshal.exactly(bytes, "TPM2B_PUBLIC", TpmPublic::readTpm2b);
  }

  /** Parses a complete bare TPMT_PUBLIC. */
  public static TpmPublic fromTpmt(byte[] bytes) throws VerificationException {
    return Marshal.exactly(bytes, "TPMT_PUBLIC", TpmPublic::read);
  }

  /** Reads a TPM2B_PUBLIC; the inner TPMT_PUBLIC must fill the announced size exactly. */
  public static TpmPublic readTpm2b(ByteReader r) throws VerificationException {
    ByteReader inner = r.slice(r.length16("TPM2B_PUBLIC"));
    TpmPublic p = read(inner);
    inner.expectEnd("TPM2B_PUBLIC");
    return p;
  }

  /** Reads a TPMT_PUBLIC. */
  public static TpmPublic read(ByteReader r) throws VerificationException {
    int start = r.position();
    int typeId = r.u16();
    Type type =
        Type.fromTpmId(typeId)
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.UNSUPPORTED, "TPMT_PUBLIC: object type " + TpmAlg.name(typeId)));
    HashAlg nameAlg = Marshal.hash(r, "TPMT_PUBLIC nameAlg");
    int attributes = r.s32();
    byte[] authPolicy = r.sized16();
    Parameters parameters;
    Unique unique;
    switch (type) {
      case RSA -> {
        SymDef sym = readSymDef(r);
        Scheme scheme = readRsaScheme(r);
        int keyBits = r.u16();
        long exponent = r.u32();
        parameters = new RsaParameters(sym, scheme, keyBits, exponent);
        unique = new RsaModulus(r.sized16());
      }
      case ECC -> {
        SymDef sym = readSymDef(r);
        Scheme scheme = readEccScheme(r);
        int curve = r.u16();
        Scheme kdf = readKdfScheme(r);
        parameters = new EccParameters(sym, scheme, curve, kdf);
        byte[] x = r.sized16();
        byte[] y = r.sized16();
        unique = new EccPoint(x, y);
      }
      case KEYEDHASH -> {
        parameters = new KeyedHashParameters(readKeyedHashScheme(r));
        unique = new UniqueDigest(r.sized16());
      }
      case SYMCIPHER -> {
        parameters = new SymCipherParameters(readSymDef(r));
        unique = new UniqueDigest(r.sized16());
      }
      default -> throw new IllegalStateException("unreachable");
    }
    return new TpmPublic(
        type, nameAlg, attributes, authPolicy, parameters, unique, r.consumedSince(start));
  }

  private static SymDef readSymDef(ByteReader r) throws VerificationException {
    int alg = r.u16();
    if (alg == TpmAlg.NULL) {
      return new SymDef(TpmAlg.NULL, 0, TpmAlg.NULL);
    }
    return new SymDef(alg, r.u16(), r.u16());
  }

  private static Scheme readRsaScheme(ByteReader r) throws VerificationException {
    int scheme = r.u16();
    return switch (scheme) {
      case TpmAlg.NULL, TpmAlg.RSAES -> new Scheme(scheme, TpmAlg.NULL, 0);
      case TpmAlg.RSASSA, TpmAlg.RSAPSS, TpmAlg.OAEP -> new Scheme(scheme, r.u16(), 0);
      default -> throw unknownScheme("TPMT_RSA_SCHEME", scheme);
    };
  }

  private static Scheme readEccScheme(ByteReader r) throws VerificationException {
    int scheme = r.u16();
    return switch (scheme) {
      case TpmAlg.NULL -> new Scheme(scheme, TpmAlg.NULL, 0);
      case TpmAlg.ECDSA, TpmAlg.ECDH, TpmAlg.ECSCHNORR, TpmAlg.SM2, TpmAlg.ECMQV ->
          new Scheme(scheme, r.u16(), 0);
      case TpmAlg.ECDAA -> new Scheme(scheme, r.u16(), r.u16());
      default -> throw unknownScheme("TPMT_ECC_SCHEME", scheme);
    };
  }

  private static Scheme readKdfScheme(ByteReader r) throws VerificationException {
    int scheme = r.u16();
    return switch (scheme) {
      case TpmAlg.NULL -> new Scheme(scheme, TpmAlg.NULL, 0);
      case TpmAlg.MGF1, TpmAlg.KDF1_SP800_56A, TpmAlg.KDF2, TpmAlg.KDF1_SP800_108 ->
          new Scheme(scheme, r.u16(), 0);
      default -> throw unknownScheme("TPMT_KDF_SCHEME", scheme);
    };
  }

  private static Scheme readKeyedHashScheme(ByteReader r) throws VerificationException {
    int scheme = r.u16();
    return switch (scheme) {
      case TpmAlg.NULL -> new Scheme(scheme, TpmAlg.NULL, 0);
      case TpmAlg.HMAC -> new Scheme(scheme, r.u16(), 0);
      case TpmAlg.XOR -> new Scheme(scheme, r.u16(), r.u16());
      default -> throw unknownScheme("TPMT_KEYEDHASH_SCHEME", scheme);
    };
  }

  private static VerificationException unknownScheme(String what, int scheme) {
    return new VerificationException(Failure.UNSUPPORTED, what + ": " + TpmAlg.name(scheme));
  }

  public Type type() {
    return type;
  }

  public HashAlg nameAlg() {
    return nameAlg;
  }

  /** TPMA_OBJECT bits; see the constants of this class. */
  public int objectAttributes() {
    return objectAttributes;
  }

  public boolean hasAttribute(int bit) {
    return (objectAttributes & bit) == bit;
  }

  public byte[] authPolicy() {
    return authPolicy.clone();
  }

  public Parameters parameters() {
    return parameters;
  }

  public Unique unique() {
    return unique;
  }

  /** The signing scheme fixed in the key, or empty when the key allows any ({@code NULL}). */
  public Optional<Scheme> signingScheme() {
    Scheme s =
        switch (parameters) {
          case RsaParameters p -> p.scheme();
          case EccParameters p -> p.scheme();
          case KeyedHashParameters p -> p.scheme();
          case SymCipherParameters p -> null;
        };
    return s == null || s.isNull() ? Optional.empty() : Optional.of(s);
  }

  /** The marshalled TPMT_PUBLIC, exactly as read. */
  public byte[] encoded() {
    return encoded.clone();
  }

  /** The marshalled TPM2B_PUBLIC: a two-byte size and {@link #encoded()}. */
  public byte[] toTpm2b() {
    byte[] out = new byte[encoded.length + 2];
    out[0] = (byte) (encoded.length >>> 8);
    out[1] = (byte) encoded.length;
    System.arraycopy(encoded, 0, out, 2, encoded.length);
    return out;
  }

  /**
   * The TPM name: the nameAlg id (two bytes) followed by the nameAlg hash of the marshalled
   * TPMT_PUBLIC. A quote's {@code qualifiedSigner} is a qualified name, not this.
   */
  public byte[] name() {
    MessageDigest md = nameAlg.newDigest();
    byte[] out = new byte[2 + nameAlg.size()];
    out[0] = (byte) (nameAlg.tpmId() >>> 8);
    out[1] = (byte) nameAlg.tpmId();
    md.update(encoded);
    byte[] h = md.digest();
    System.arraycopy(h, 0, out, 2, h.length);
    return out;
  }

  /**
   * True for a key the TPM uses to sign only data it produced itself (restricted, sign, not
   * decrypt): the only kind whose quotes prove anything.
   */
  public boolean isRestrictedSigningKey() {
    return hasAttribute(RESTRICTED) && hasAttribute(SIGN_ENCRYPT) && !hasAttribute(DECRYPT);
  }

  /**
   * The JCA public key: an RSA key from the JDK or an EC key from BouncyCastle (the providers that
   * verify each fastest).
   *
   * @throws VerificationException {@link Failure#UNSUPPORTED} for KEYEDHASH/SYMCIPHER objects and
   *     curves other than NIST P-256/384/521; {@link Failure#MALFORMED} for a modulus that does not
   *     match keyBits or a point that is not on the curve
   */
  public PublicKey toPublicKey() throws VerificationException {
    try {
      return switch (parameters) {
        case RsaParameters p -> rsaKey(p, ((RsaModulus) unique).modulus);
        case EccParameters p -> eccKey(p, (EccPoint) unique);
        default ->
            throw new VerificationException(
                Failure.UNSUPPORTED, "a " + type + " object has no public key");
      };
    } catch (GeneralSecurityException e) {
      throw new VerificationException(Failure.MALFORMED, "TPMT_PUBLIC key: " + e.getMessage(), e);
    }
  }

  private static PublicKey rsaKey(RsaParameters p, byte[] modulus)
      throws VerificationException, GeneralSecurityException {
    if (p.keyBits() < 1024 || p.keyBits() % 8 != 0 || modulus.length != p.keyBits() / 8) {
      throw new VerificationException(
          Failure.MALFORMED,
          "RSA modulus has " + modulus.length + " bytes for keyBits " + p.keyBits());
    }
    if ((modulus[0] & 0x80) == 0) {
      throw new VerificationException(
          Failure.MALFORMED, "RSA modulus is shorter than keyBits " + p.keyBits());
    }
    RSAPublicKeySpec spec =
        new RSAPublicKeySpec(new BigInteger(1, modulus), BigInteger.valueOf(p.effectiveExponent()));
    return KeyFactory.getInstance("RSA").generatePublic(spec);
  }

  private static PublicKey eccKey(EccParameters p, EccPoint point)
      throws VerificationException, GeneralSecurityException {
    EccCurve curve =
        p.curve()
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.UNSUPPORTED, String.format("ECC curve 0x%04x", p.curveId())));
    if (point.x.length > curve.coordinateSize() || point.y.length > curve.coordinateSize()) {
      throw new VerificationException(
          Failure.MALFORMED,
          "ECC point coordinates are longer than " + curve.stdName() + " allows");
    }
    ECNamedCurveParameterSpec spec = ECNamedCurveTable.getParameterSpec(curve.stdName());
    org.bouncycastle.math.ec.ECPoint q;
    try {
      q = spec.getCurve().validatePoint(new BigInteger(1, point.x), new BigInteger(1, point.y));
    } catch (IllegalArgumentException e) {
      throw new VerificationException(
          Failure.MALFORMED, "ECC point is not on " + curve.stdName(), e);
    }
    return KeyFactory.getInstance("EC", Crypto.bouncyCastle())
        .generatePublic(new ECPublicKeySpec(q, spec));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TpmPublic p && Arrays.equals(encoded, p.encoded);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encoded);
  }

  @Override
  public String toString() {
    return "TpmPublic[" + type + ", name=" + Hex.encode(name()) + "]";
  }
}
