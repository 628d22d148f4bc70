package dev.vouch.evidence.tpm;

/**
 * TPM_ALG_ID values (TPM 2.0 Part 2, table "TPM_ALG_ID") used by the structures Vouch reads. Hash
 * algorithm ids are in {@link dev.vouch.core.crypto.HashAlg}.
 */
public final class TpmAlg {
  public static final int RSA = 0x0001;
  public static final int HMAC = 0x0005;
  public static final int AES = 0x0006;
  public static final int MGF1 = 0x0007;
  public static final int KEYEDHASH = 0x0008;
  public static final int XOR = 0x000A;
  public static final int NULL = 0x0010;
  public static final int SM4 = 0x0013;
  public static final int RSASSA = 0x0014;
  public static final int RSAES = 0x0015;
  public static final int RSAPSS = 0x0016;
  public static final int OAEP = 0x0017;
  public static final int ECDSA = 0x0018;
  public static final int ECDH = 0x0019;
  public static final int ECDAA = 0x001A;
  public static final int SM2 = 0x001B;
  public static final int ECSCHNORR = 0x001C;
  public static final int ECMQV = 0x001D;
  public static final int KDF1_SP800_56A = 0x0020;
  public static final int KDF2 = 0x0021;
  public static final int KDF1_SP800_108 = 0x0022;
  public static final int ECC = 0x0023;
  public static final int SYMCIPHER = 0x0025;
  public static final int CAMELLIA = 0x0026;
  public static final int CTR = 0x0040;
  public static final int OFB = 0x0041;
  public static final int CBC = 0x0042;
  public static final int CFB = 0x0043;
  public static final int ECB = 0x0044;

  private TpmAlg() {}

  /** A readable name for messages, e.g. {@code RSASSA} or {@code 0x1234}. */
  public static String name(int id) {
    return switch (id) {
      case RSA -> "RSA";
      case HMAC -> "HMAC";
      case AES -> "AES";
      case MGF1 -> "MGF1";
      case KEYEDHASH -> "KEYEDHASH";
      case XOR -> "XOR";
      case NULL -> "NULL";
      case SM4 -> "SM4";
      case RSASSA -> "RSASSA";
      case RSAES -> "RSAES";
      case RSAPSS -> "RSAPSS";
      case OAEP -> "OAEP";
      case ECDSA -> "ECDSA";
      case ECDH -> "ECDH";
      case ECDAA -> "ECDAA";
      case SM2 -> "SM2";
      case ECSCHNORR -> "ECSCHNORR";
      case ECMQV -> "ECMQV";
      case KDF1_SP800_56A -> "KDF1_SP800_56A";
      case KDF2 -> "KDF2";
      case KDF1_SP800_108 -> "KDF1_SP800_108";
      case ECC -> "ECC";
      case SYMCIPHER -> "SYMCIPHER";
      case CAMELLIA -> "CAMELLIA";
      case CTR -> "CTR";
      case OFB -> "OFB";
      case CBC -> "CBC";
      case CFB -> "CFB";
      case ECB -> "ECB";
      default ->
          dev.vouch.core.crypto.HashAlg.fromTpmId(id)
              .map(h -> h.shortName().toUpperCase(java.util.Locale.ROOT))
              .orElse(String.format("0x%04x", id));
    };
  }
}
