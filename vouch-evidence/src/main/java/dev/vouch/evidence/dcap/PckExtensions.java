package dev.vouch.evidence.dcap;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Boolean;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

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
 * @param platform the platform instance and configuration, present exactly when the PCK Platform CA
 *     issued the certificate (multi-package platforms); empty for the PCK Processor CA
 */
public record PckExtensions(
    byte[] ppid,
    int[] tcbComponents,
    int pceSvn,
    byte[] cpuSvn,
    byte[] pceId,
    byte[] fmspc,
    int sgxType,
    Optional<Platform> platform) {

  /**
   * What a Platform CA-issued PCK certificate says about the platform (Intel's PCK certificate
   * profile: PlatformInstanceID and Configuration).
   *
   * @param instanceId the 16-byte platform instance id as the certificate holds it
   * @param dynamicPlatform whether the platform may add or replace packages (DynamicPlatform)
   * @param cachedKeys whether platform root keys are cached by Intel's registration (CachedKeys)
   * @param smtEnabled whether simultaneous multithreading is on (SMTEnabled)
   */
  public record Platform(
      byte[] instanceId, boolean dynamicPlatform, boolean cachedKeys, boolean smtEnabled) {
    public Platform {
      instanceId = instanceId.clone();
    }

    @Override
    public byte[] instanceId() {
      return instanceId.clone();
    }

    /**
     * The instance id as Trustee and Intel's tools print it: the 16 bytes are a little-endian
     * 128-bit number, printed big-endian (the certificate's bytes reversed).
     */
    public byte[] instanceIdBigEndian() {
      byte[] out = new byte[instanceId.length];
      for (int i = 0; i < out.length; i++) {
        out[i] = instanceId[instanceId.length - 1 - i];
      }
      return out;
    }
  }

  static final String SGX_EXTENSION_OID = "1.2.840.113741.1.13.1";
  private static final String PPID = SGX_EXTENSION_OID + ".1";
  private static final String TCB = SGX_EXTENSION_OID + ".2";
  private static final String PCEID = SGX_EXTENSION_OID + ".3";
  private static final String FMSPC = SGX_EXTENSION_OID + ".4";
  private static final String SGX_TYPE = SGX_EXTENSION_OID + ".5";
  private static final String PLATFORM_INSTANCE_ID = SGX_EXTENSION_OID + ".6";
  private static final String CONFIGURATION = SGX_EXTENSION_OID + ".7";
  private static final String DYNAMIC_PLATFORM = CONFIGURATION + ".1";
  private static final String CACHED_KEYS = CONFIGURATION + ".2";
  private static final String SMT_ENABLED = CONFIGURATION + ".3";
  private static final String PLATFORM_CA = "Intel SGX PCK Platform CA";
  private static final String PROCESSOR_CA = "Intel SGX PCK Processor CA";

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
      byte[] instanceId = null;
      Boolean[] config = null;
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
          case PLATFORM_INSTANCE_ID -> instanceId = ASN1OctetString.getInstance(v).getOctets();
          case CONFIGURATION -> config = configuration(ASN1Sequence.getInstance(v));
          default -> {
            // other members (none defined today) carry nothing Vouch reports
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
      Optional<Platform> platform = platform(pck, instanceId, config);
      return new PckExtensions(ppid, comps, pceSvn, cpuSvn, pceId, fmspc, sgxType, platform);
    } catch (java.io.IOException | RuntimeException e) {
      throw new VerificationException(
          Failure.MALFORMED, "PCK SGX extension does not decode: " + e.getMessage(), e);
    }
  }

  /** DynamicPlatform, CachedKeys, SMTEnabled; each must appear once. */
  private static Boolean[] configuration(ASN1Sequence seq) throws VerificationException {
    Boolean[] flags = new Boolean[3];
    for (ASN1Encodable e : seq) {
      ASN1Sequence pair = ASN1Sequence.getInstance(e);
      String oid = ASN1ObjectIdentifier.getInstance(pair.getObjectAt(0)).getId();
      int i =
          switch (oid) {
            case DYNAMIC_PLATFORM -> 0;
            case CACHED_KEYS -> 1;
            case SMT_ENABLED -> 2;
            default -> -1;
          };
      if (i < 0) {
        continue;
      }
      if (flags[i] != null) {
        throw new VerificationException(
            Failure.MALFORMED, "PCK SGX extension repeats a configuration flag");
      }
      flags[i] = ASN1Boolean.getInstance(pair.getObjectAt(1)).isTrue();
    }
    if (flags[0] == null || flags[1] == null || flags[2] == null) {
      throw new VerificationException(
          Failure.MALFORMED, "PCK SGX extension configuration lacks a flag");
    }
    return flags;
  }

  /**
   * The platform members: both or neither, and (for Intel's own CAs) both exactly when the issuer
   * is the Platform CA, as Intel's profile defines and Trustee checks. A certificate that says
   * otherwise is refused rather than reported without them.
   */
  private static Optional<Platform> platform(
      X509Certificate pck, byte[] instanceId, Boolean[] config) throws VerificationException {
    if ((instanceId == null) != (config == null)) {
      throw new VerificationException(
          Failure.MALFORMED,
          "PCK SGX extension has only one of platform instance and configuration");
    }
    String issuerCn = commonName(pck);
    boolean present = instanceId != null;
    if ((PLATFORM_CA.equals(issuerCn) && !present) || (PROCESSOR_CA.equals(issuerCn) && present)) {
      throw new VerificationException(
          Failure.MALFORMED,
          "PCK certificate from the "
              + issuerCn
              + " "
              + (present ? "has" : "lacks")
              + " the platform instance and configuration");
    }
    if (!present) {
      return Optional.empty();
    }
    if (instanceId.length != 16) {
      throw new VerificationException(
          Failure.MALFORMED, "PCK platform instance id is not 16 bytes");
    }
    return Optional.of(new Platform(instanceId, config[0], config[1], config[2]));
  }

  private static String commonName(X509Certificate cert) {
    RDN[] cn = X500Name.getInstance(cert.getIssuerX500Principal().getEncoded()).getRDNs(BCStyle.CN);
    return cn.length == 1 ? IETFUtils.valueToString(cn[0].getFirst().getValue()) : "";
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
