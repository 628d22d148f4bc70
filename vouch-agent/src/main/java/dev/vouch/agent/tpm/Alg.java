package dev.vouch.agent.tpm;

/** TPM_ALG_ID values used by this package (TPM 2.0 Part 2, Table "TPM_ALG_ID"). */
final class Alg {
  private Alg() {}

  static final int RSA = 0x0001;
  static final int HMAC = 0x0005;
  static final int AES = 0x0006;
  static final int KEYEDHASH = 0x0008;
  static final int NULL = 0x0010;
  static final int RSASSA = 0x0014;
  static final int RSAES = 0x0015;
  static final int RSAPSS = 0x0016;
  static final int OAEP = 0x0017;
  static final int ECDSA = 0x0018;
  static final int ECDH = 0x0019;
  static final int ECDAA = 0x001A;
  static final int SM2 = 0x001B;
  static final int ECSCHNORR = 0x001C;
  static final int ECC = 0x0023;
  static final int SYMCIPHER = 0x0025;
  static final int CFB = 0x0043;

  static final int ECC_NIST_P256 = 0x0003;
  static final int ECC_NIST_P384 = 0x0004;
  static final int ECC_NIST_P521 = 0x0005;
}
