package dev.vouch.agent.tpm;

import static dev.vouch.agent.tpm.ObjectAttributes.ADMIN_WITH_POLICY;
import static dev.vouch.agent.tpm.ObjectAttributes.DECRYPT;
import static dev.vouch.agent.tpm.ObjectAttributes.FIXED_PARENT;
import static dev.vouch.agent.tpm.ObjectAttributes.FIXED_TPM;
import static dev.vouch.agent.tpm.ObjectAttributes.NO_DA;
import static dev.vouch.agent.tpm.ObjectAttributes.RESTRICTED;
import static dev.vouch.agent.tpm.ObjectAttributes.SENSITIVE_DATA_ORIGIN;
import static dev.vouch.agent.tpm.ObjectAttributes.SIGN_ENCRYPT;
import static dev.vouch.agent.tpm.ObjectAttributes.USER_WITH_AUTH;

import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;

/**
 * A TPMT_PUBLIC template for TPM2_CreatePrimary or TPM2_Create, with a short description for logs.
 * The factories give the TCG templates an attestation agent needs.
 *
 * @param description what the template makes, e.g. "EK RSA-2048 (TCG L-1)"
 * @param tpmtPublic the marshalled template
 */
public record KeyTemplate(String description, byte[] tpmtPublic) {

  /**
   * PolicySecret(TPM_RH_ENDORSEMENT) with SHA-256 ("policy A"): the authPolicy of the low-range EK
   * templates.
   */
  public static final byte[] EK_POLICY_A_SHA256 =
      Hex.decode("837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");

  /**
   * "Policy B" with SHA-384, the PolicyOR of PolicySecret(TPM_RH_ENDORSEMENT) and an NV-based
   * alternative: the authPolicy of the high-range template H-3.
   */
  public static final byte[] EK_POLICY_B_SHA384 =
      Hex.decode(
          "b26e7d28d11a50bc53d882bcf5fd3a1a074148bb35d3b4e4cb1c0ad9bde419ca"
              + "cb47ba09699646150f9fc000f3f80e12");

  private static final int EK_LOW_ATTRS =
      FIXED_TPM | FIXED_PARENT | SENSITIVE_DATA_ORIGIN | ADMIN_WITH_POLICY | RESTRICTED | DECRYPT;
  private static final int EK_HIGH_ATTRS = EK_LOW_ATTRS | USER_WITH_AUTH;
  private static final int SRK_ATTRS =
      FIXED_TPM
          | FIXED_PARENT
          | SENSITIVE_DATA_ORIGIN
          | USER_WITH_AUTH
          | NO_DA
          | RESTRICTED
          | DECRYPT;
  // noDA: the AK has an empty auth value, so dictionary-attack protection guards nothing, while a
  // TPM counts every restart without TPM2_Shutdown as a possible attack on each DA-protected key
  // used since; a few power losses would lock quoting out (TPM_RC_LOCKOUT) for hours
  private static final int AK_ATTRS =
      FIXED_TPM
          | FIXED_PARENT
          | SENSITIVE_DATA_ORIGIN
          | USER_WITH_AUTH
          | NO_DA
          | RESTRICTED
          | SIGN_ENCRYPT;

  public KeyTemplate {
    tpmtPublic = tpmtPublic.clone();
  }

  @Override
  public byte[] tpmtPublic() {
    return tpmtPublic.clone();
  }

  /** EK template L-1 of the TCG EK Credential Profile: RSA-2048, AES-128-CFB, SHA-256. */
  public static KeyTemplate ekRsa2048() {
    return new KeyTemplate(
        "EK RSA-2048 (TCG L-1)",
        rsa(HashAlg.SHA256, EK_LOW_ATTRS, EK_POLICY_A_SHA256, 128, Alg.NULL, null, 2048, 256));
  }

  /** EK template L-2 of the TCG EK Credential Profile: ECC NIST P-256, AES-128-CFB, SHA-256. */
  public static KeyTemplate ekEccP256() {
    return new KeyTemplate(
        "EK ECC NIST P-256 (TCG L-2)",
        ecc(
            HashAlg.SHA256,
            EK_LOW_ATTRS,
            EK_POLICY_A_SHA256,
            128,
            Alg.NULL,
            null,
            Alg.ECC_NIST_P256,
            32));
  }

  /**
   * EK template H-3 of the TCG EK Credential Profile: ECC NIST P-384, AES-256-CFB, SHA-384 (the
   * profile has no low-range P-384 template; swtpm certifies this one at NV 0x01C00016).
   */
  public static KeyTemplate ekEccP384() {
    return new KeyTemplate(
        "EK ECC NIST P-384 (TCG H-3)",
        ecc(
            HashAlg.SHA384,
            EK_HIGH_ATTRS,
            EK_POLICY_B_SHA384,
            256,
            Alg.NULL,
            null,
            Alg.ECC_NIST_P384,
            0));
  }

  /** Storage root key, RSA-2048 (TCG Provisioning Guidance): no policy, empty auth, noDA. */
  public static KeyTemplate srkRsa2048() {
    return new KeyTemplate(
        "SRK RSA-2048", rsa(HashAlg.SHA256, SRK_ATTRS, new byte[0], 128, Alg.NULL, null, 2048, 0));
  }

  /** Storage root key, ECC NIST P-256 (TCG Provisioning Guidance). */
  public static KeyTemplate srkEccP256() {
    return new KeyTemplate(
        "SRK ECC NIST P-256",
        ecc(HashAlg.SHA256, SRK_ATTRS, new byte[0], 128, Alg.NULL, null, Alg.ECC_NIST_P256, 0));
  }

  /** Restricted signing attestation key, RSA-2048 with RSASSA-PKCS1-v1_5 / SHA-256. */
  public static KeyTemplate akRsa2048() {
    return new KeyTemplate(
        "AK RSA-2048 RSASSA-SHA256",
        rsa(HashAlg.SHA256, AK_ATTRS, new byte[0], 0, Alg.RSASSA, HashAlg.SHA256, 2048, 0));
  }

  /** Restricted signing attestation key, ECC NIST P-256 with ECDSA / SHA-256. */
  public static KeyTemplate akEccP256() {
    return new KeyTemplate(
        "AK ECC NIST P-256 ECDSA-SHA256",
        ecc(
            HashAlg.SHA256,
            AK_ATTRS,
            new byte[0],
            0,
            Alg.ECDSA,
            HashAlg.SHA256,
            Alg.ECC_NIST_P256,
            0));
  }

  private static void header(TpmWriter w, int type, HashAlg nameAlg, int attrs, byte[] policy) {
    w.u16(type).u16(nameAlg.tpmId()).u32(attrs).tpm2b(policy);
  }

  private static void symmetric(TpmWriter w, int aesBits) {
    if (aesBits == 0) {
      w.u16(Alg.NULL);
    } else {
      w.u16(Alg.AES).u16(aesBits).u16(Alg.CFB);
    }
  }

  private static void scheme(TpmWriter w, int scheme, HashAlg hash) {
    w.u16(scheme);
    if (scheme != Alg.NULL) {
      w.u16(hash.tpmId());
    }
  }

  private static byte[] rsa(
      HashAlg nameAlg,
      int attrs,
      byte[] policy,
      int aesBits,
      int scheme,
      HashAlg schemeHash,
      int keyBits,
      int uniqueZeros) {
    TpmWriter w = new TpmWriter();
    header(w, Alg.RSA, nameAlg, attrs, policy);
    symmetric(w, aesBits);
    scheme(w, scheme, schemeHash);
    w.u16(keyBits).u32(0).tpm2b(new byte[uniqueZeros]);
    return w.toByteArray();
  }

  private static byte[] ecc(
      HashAlg nameAlg,
      int attrs,
      byte[] policy,
      int aesBits,
      int scheme,
      HashAlg schemeHash,
      int curve,
      int uniqueZeros) {
    TpmWriter w = new TpmWriter();
    header(w, Alg.ECC, nameAlg, attrs, policy);
    symmetric(w, aesBits);
    scheme(w, scheme, schemeHash);
    w.u16(curve).u16(Alg.NULL); // no KDF
    w.tpm2b(new byte[uniqueZeros]).tpm2b(new byte[uniqueZeros]);
    return w.toByteArray();
  }

  @Override
  public String toString() {
    return "KeyTemplate[" + description + "]";
  }
}
