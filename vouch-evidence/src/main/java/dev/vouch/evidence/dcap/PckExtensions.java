package dev.vouch.evidence.dcap;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;

/**
 * The Intel SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1): what the PCK key
 * certifies about the platform's TCB.
 *
 * @param ppid platform provisioning id (16 bytes), absent (empty) when not present
 * @param tcbComponents the 16 SGX TCB component SVNs (CPUSVN components)
 * @param pceSvn the PCE security version
 * @param cpuSvn the raw 16-byte CPUSVN
 * @param pceId 2 bytes
 * @param fmspc 6 bytes: family-model-stepping-platform-customSKU, selects the TCB info
 * @param sgxType 0 standard, 1 scalable, 2 scalable with integrity
 */
public record PckExtensions(
    byte[] ppid,
    int[] tcbComponents,
    int pceSvn,
    byte[] cpuSvn,
    byte[] pceId,
    byte[] fmspc,
    int sgxType) {

  static final String SGX_EXTENSION_OID = "1.2.840.113741.1.13.1";
  private static final String PPID = SGX_EXTENSION_OID + ".1";
  private static final String TCB = SGX_EXTENSION_OID + ".2";
  private static final String PCEID = SGX_EXTENSION_OID + ".3";
  private static final String FMSPC = SGX_EXTENSION_OID + ".4";
  private static final String SGX_TYPE = SGX_EXTENSION_OID + ".5";

  public PckExtensions {
    ppid = ppid.clone();
    tcbComponents = tcbComponents.clone();
    cpuSvn = cpuSvn.clone();
    pceId = pceId.clone();
    fmspc = fmspc.clone();
  }

  /**
   * Reads the SGX extension of a PCK certificate.
   *
   * @throws VerificationException {@link Failure#MALFORMED} when the extension is missing or does
   *     not have the documented shape
   */
  public static PckExtensions of(X509Certificate pck) throws VerificationException {
    byte[] ext = pck.getExtensionValue(SGX_EXTENSION_OID);
    if (ext == null) {
      throw new VerificationException(
          Failure.MALFORMED, "PCK certificate has no Intel SGX extension");
    }
    try {
      ASN1Sequence seq =
          ASN1Sequence.getInstance(
              ASN1Primitive.fromByteArray(ASN1OctetString.getInstance(ext).getOctets()));
      byte[] ppid = new byte[0];
      int[] comps = null;
      int pceSvn = -1;
      byte[] cpuSvn = null;
      byte[] pceId = null;
      byte[] fmspc = null;
      int sgxType = -1;
      for (ASN1Encodable e : seq) {
        ASN1Sequence pair = ASN1Sequence.getInstance(e);
        String oid = ASN1ObjectIdentifier.getInstance(pair.getObjectAt(0)).getId();
        ASN1Encodable v = pair.getObjectAt(1);
        switch (oid) {
          case PPID -> ppid = ASN1OctetString.getInstance(v).getOctets();
          case PCEID -> pceId = ASN1OctetString.getInstance(v).getOctets();
          case FMSPC -> fmspc = ASN1OctetString.getInstance(v).getOctets();
          case SGX_TYPE -> sgxType = ASN1Enumerated.getInstance(v).intValueExact();
          case TCB -> {
            comps = new int[16];
            Arrays.fill(comps, -1);
            for (ASN1Encodable t : ASN1Sequence.getInstance(v)) {
              ASN1Sequence tp = ASN1Sequence.getInstance(t);
              String toid = ASN1ObjectIdentifier.getInstance(tp.getObjectAt(0)).getId();
              ASN1Encodable tv = tp.getObjectAt(1);
              if (!toid.startsWith(TCB + ".")) {
                continue;
              }
              int n = Integer.parseInt(toid.substring(TCB.length() + 1));
              if (n >= 1 && n <= 16) {
                comps[n - 1] = ASN1Integer.getInstance(tv).intValueExact();
              } else if (n == 17) {
                pceSvn = ASN1Integer.getInstance(tv).intValueExact();
              } else if (n == 18) {
                cpuSvn = ASN1OctetString.getInstance(tv).getOctets();
              }
            }
          }
          default -> {
            // platform instance id and configuration (multi-package platforms) are not used here
          }
        }
      }
      if (comps == null
          || Arrays.stream(comps).anyMatch(c -> c < 0 || c > 255)
          || pceSvn < 0
          || pceSvn > 0xffff
          || cpuSvn == null
          || cpuSvn.length != 16
          || pceId == null
          || pceId.length != 2
          || fmspc == null
          || fmspc.length != 6) {
        throw new VerificationException(
            Failure.MALFORMED, "PCK SGX extension lacks TCB, PCEID or FMSPC fields");
      }
      return new PckExtensions(ppid, comps, pceSvn, cpuSvn, pceId, fmspc, sgxType);
    } catch (java.io.IOException | RuntimeException e) {
      throw new VerificationException(
          Failure.MALFORMED, "PCK SGX extension does not decode: " + e.getMessage(), e);
    }
  }

  @Override
  public int[] tcbComponents() {
    return tcbComponents.clone();
  }

  @Override
  public byte[] fmspc() {
    return fmspc.clone();
  }

  @Override
  public byte[] pceId() {
    return pceId.clone();
  }

  @Override
  public byte[] cpuSvn() {
    return cpuSvn.clone();
  }
}
