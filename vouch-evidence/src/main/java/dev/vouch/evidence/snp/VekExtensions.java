package dev.vouch.evidence.snp;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Optional;
import java.util.OptionalInt;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;

/**
 * The AMD extensions of a VCEK or VLEK certificate (VCEK specification, AMD publication 57230): the
 * TCB security patch levels the key was derived for, the chip's hardware ID (VCEK only) and the
 * cloud provider (VLEK only).
 *
 * @param productName {@code productName1}, e.g. {@code Milan-B0}
 * @param hwId the certified hardware ID (64 bytes before Turin, 8 from Turin on); empty for VLEKs
 * @param cspId the cloud service provider a VLEK was issued to
 */
record VekExtensions(
    Optional<String> productName,
    int bootloader,
    int tee,
    int snp,
    int microcode,
    OptionalInt fmc,
    Optional<byte[]> hwId,
    Optional<String> cspId) {

  private static final String AMD = "1.3.6.1.4.1.3704.1";
  static final ASN1ObjectIdentifier PRODUCT_NAME = new ASN1ObjectIdentifier(AMD + ".2");
  static final ASN1ObjectIdentifier BL_SPL = new ASN1ObjectIdentifier(AMD + ".3.1");
  static final ASN1ObjectIdentifier TEE_SPL = new ASN1ObjectIdentifier(AMD + ".3.2");
  static final ASN1ObjectIdentifier SNP_SPL = new ASN1ObjectIdentifier(AMD + ".3.3");
  static final ASN1ObjectIdentifier UCODE_SPL = new ASN1ObjectIdentifier(AMD + ".3.8");
  static final ASN1ObjectIdentifier FMC_SPL = new ASN1ObjectIdentifier(AMD + ".3.9");
  static final ASN1ObjectIdentifier HW_ID = new ASN1ObjectIdentifier(AMD + ".4");
  static final ASN1ObjectIdentifier CSP_ID = new ASN1ObjectIdentifier(AMD + ".5");

  /**
   * Reads the extensions of a VEK certificate.
   *
   * @throws VerificationException {@link Failure#MALFORMED} when a TCB level is missing or not a
   *     small INTEGER, or the hwID has neither of its two encodings
   */
  static VekExtensions of(AmdCertificate cert) throws VerificationException {
    return new VekExtensions(
        cert.extensionValue(PRODUCT_NAME).map(VekExtensions::ia5OrEmpty),
        spl(cert, BL_SPL, "blSPL"),
        spl(cert, TEE_SPL, "teeSPL"),
        spl(cert, SNP_SPL, "snpSPL"),
        spl(cert, UCODE_SPL, "ucodeSPL"),
        cert.extensionValue(FMC_SPL).isPresent()
            ? OptionalInt.of(spl(cert, FMC_SPL, "fmcSPL"))
            : OptionalInt.empty(),
        hwId(cert),
        cert.extensionValue(CSP_ID).map(VekExtensions::ia5OrEmpty));
  }

  private static int spl(AmdCertificate cert, ASN1ObjectIdentifier oid, String name)
      throws VerificationException {
    byte[] v =
        cert.extensionValue(oid)
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.MALFORMED, cert.subjectCn() + " lacks the " + name + " extension"));
    try {
      BigInteger n = ASN1Integer.getInstance(ASN1Primitive.fromByteArray(v)).getValue();
      if (n.signum() < 0 || n.bitLength() > 8) {
        throw new VerificationException(
            Failure.MALFORMED, cert.subjectCn() + " " + name + " " + n + " is not a byte");
      }
      return n.intValue();
    } catch (IOException | RuntimeException e) {
      throw new VerificationException(
          Failure.MALFORMED, cert.subjectCn() + " " + name + " is not a DER INTEGER", e);
    }
  }

  /**
   * AMD first wrote the hardware ID as the raw extension value and later as a DER OCTET STRING; a
   * value of exactly 8 or 64 bytes is raw, anything else must be an OCTET STRING of 8 or 64 bytes.
   * The two cannot be confused: such an OCTET STRING is 10 or 66 bytes long.
   */
  private static Optional<byte[]> hwId(AmdCertificate cert) throws VerificationException {
    Optional<byte[]> v = cert.extensionValue(HW_ID);
    if (v.isEmpty()) {
      return v;
    }
    byte[] raw = v.get();
    if (raw.length == 8 || raw.length == 64) {
      return v;
    }
    try {
      byte[] inner = ASN1OctetString.getInstance(ASN1Primitive.fromByteArray(raw)).getOctets();
      if (inner.length == 8 || inner.length == 64) {
        return Optional.of(inner);
      }
    } catch (IOException | RuntimeException e) {
      // fall through to the precise failure below
    }
    throw new VerificationException(
        Failure.MALFORMED, cert.subjectCn() + " hwID extension is neither 8 nor 64 bytes");
  }

  private static String ia5OrEmpty(byte[] v) {
    try {
      return ASN1IA5String.getInstance(ASN1Primitive.fromByteArray(v)).getString();
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }
}
