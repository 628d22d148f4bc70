package dev.vouch.evidence.snp;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.crypto.Signatures;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * An SEV-SNP ATTESTATION_REPORT (AMD SEV-SNP firmware ABI, publication 56860) of version 2, 3, 4 or
 * 5: 1184 bytes, little-endian, signed over bytes {@code 0x000..0x29F} with ECDSA P-384/SHA-384 by
 * the VCEK or VLEK. Version 3 added the CPUID family, model and stepping at {@code 0x188}; version
 * 5 added the launch and current mitigation vectors at {@code 0x1F8}. Version 4 shares the version
 * 3 layout.
 *
 * <p>Parsing checks the structure only (length, version, signature algorithm, zero padding after
 * the signature); {@link SnpEvidenceVerifier} checks the signature and certificates. The TCB fields
 * are kept raw here because their layout depends on the product, which a version 2 report does not
 * name; decode them with {@link TcbVersion#decode}.
 *
 * @param bytes the whole report (defensively copied)
 * @param cpuid family, model and stepping; empty for version 2 reports
 * @param launchMitVector LAUNCH_MIT_VECTOR; present from version 5 on
 * @param currentMitVector CURRENT_MIT_VECTOR; present from version 5 on
 * @param r the signature's R, 72 bytes little-endian as in the report
 * @param s the signature's S, 72 bytes little-endian as in the report
 */
public record SnpReport(
    byte[] bytes,
    int version,
    long guestSvn,
    long policy,
    byte[] familyId,
    byte[] imageId,
    long vmpl,
    long signatureAlgo,
    long currentTcb,
    long platformInfo,
    long keyInfo,
    byte[] reportData,
    byte[] measurement,
    byte[] hostData,
    byte[] idKeyDigest,
    byte[] authorKeyDigest,
    byte[] reportId,
    byte[] reportIdMa,
    long reportedTcb,
    Optional<Cpuid> cpuid,
    byte[] chipId,
    long committedTcb,
    FirmwareVersion current,
    FirmwareVersion committed,
    long launchTcb,
    OptionalLong launchMitVector,
    OptionalLong currentMitVector,
    byte[] r,
    byte[] s) {

  /** Size of every report version. */
  public static final int LENGTH = 0x4A0;

  /** Bytes {@code [0, SIGNED_LENGTH)} are signed. */
  public static final int SIGNED_LENGTH = 0x2A0;

  /** SIGNATURE_ALGO value for ECDSA P-384 with SHA-384, the only one defined. */
  public static final int ECDSA_P384_SHA384 = 1;

  static final int MIN_VERSION = 2;
  static final int MAX_VERSION = 5;
  private static final int COMPONENT = 72;
  private static final int P384_BYTES = 48;

  /** CPUID_FAM_ID, CPUID_MOD_ID and CPUID_STEP of a version 3 or later report. */
  public record Cpuid(int family, int model, int stepping) {}

  /** A firmware version as {@code major.minor.build}. */
  public record FirmwareVersion(int major, int minor, int build) {
    @Override
    public String toString() {
      return major + "." + minor + "." + build;
    }
  }

  /** Which key signed the report, from KEY_INFO bits 4:2. */
  public enum SigningKey {
    VCEK,
    VLEK,
    NONE
  }

  public SnpReport {
    bytes = bytes.clone();
  }

  @Override
  public byte[] bytes() {
    return bytes.clone();
  }

  /**
   * Parses one report.
   *
   * @throws VerificationException {@link Failure#TRUNCATED} when shorter than 1184 bytes, {@link
   *     Failure#MALFORMED} when longer or when the bytes after the signature are not zero, {@link
   *     Failure#UNSUPPORTED} for other versions or signature algorithms
   */
  public static SnpReport parse(byte[] bytes) throws VerificationException {
    if (bytes.length < LENGTH) {
      throw new VerificationException(
          Failure.TRUNCATED,
          "SEV-SNP report: " + bytes.length + " bytes, an attestation report has " + LENGTH);
    }
    if (bytes.length > LENGTH) {
      throw new VerificationException(
          Failure.MALFORMED,
          "SEV-SNP report: " + (bytes.length - LENGTH) + " bytes after the 1184-byte report");
    }
    ByteReader in = ByteReader.littleEndian(bytes);
    long version = in.u32();
    if (version < MIN_VERSION || version > MAX_VERSION) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "SEV-SNP report version " + version + " (supported: 2 to 5)");
    }
    long guestSvn = in.u32();
    long policy = in.u64();
    byte[] familyId = in.bytes(16);
    byte[] imageId = in.bytes(16);
    long vmpl = in.u32();
    long signatureAlgo = in.u32();
    if (signatureAlgo != ECDSA_P384_SHA384) {
      throw new VerificationException(
          Failure.UNSUPPORTED,
          "SEV-SNP report signature algorithm " + signatureAlgo + " (only 1, ECDSA P-384, exists)");
    }
    long currentTcb = in.u64();
    long platformInfo = in.u64();
    long keyInfo = in.u32();
    in.skip(4);
    byte[] reportData = in.bytes(64);
    byte[] measurement = in.bytes(48);
    byte[] hostData = in.bytes(32);
    byte[] idKeyDigest = in.bytes(48);
    byte[] authorKeyDigest = in.bytes(48);
    byte[] reportId = in.bytes(32);
    byte[] reportIdMa = in.bytes(32);
    long reportedTcb = in.u64();
    Optional<Cpuid> cpuid = Optional.empty();
    if (version >= 3) {
      cpuid = Optional.of(new Cpuid(in.u8(), in.u8(), in.u8()));
      in.skip(21);
    } else {
      in.skip(24);
    }
    byte[] chipId = in.bytes(64);
    long committedTcb = in.u64();
    FirmwareVersion current = firmwareVersion(in);
    in.skip(1);
    FirmwareVersion committed = firmwareVersion(in);
    in.skip(1);
    long launchTcb = in.u64();
    OptionalLong launchMit = OptionalLong.empty();
    OptionalLong currentMit = OptionalLong.empty();
    if (version >= 5) {
      launchMit = OptionalLong.of(in.u64());
      currentMit = OptionalLong.of(in.u64());
    }
    in.skip(SIGNED_LENGTH - in.position());
    byte[] r = in.bytes(COMPONENT);
    byte[] s = in.bytes(COMPONENT);
    // nothing outside the signed region may carry data that the signature does not vouch for
    for (int i = SIGNED_LENGTH + 2 * COMPONENT; i < LENGTH; i++) {
      if (bytes[i] != 0) {
        throw new VerificationException(
            Failure.MALFORMED,
            String.format("SEV-SNP report: reserved signature byte 0x%03X is not zero", i));
      }
    }
    return new SnpReport(
        bytes,
        (int) version,
        guestSvn,
        policy,
        familyId,
        imageId,
        vmpl,
        signatureAlgo,
        currentTcb,
        platformInfo,
        keyInfo,
        reportData,
        measurement,
        hostData,
        idKeyDigest,
        authorKeyDigest,
        reportId,
        reportIdMa,
        reportedTcb,
        cpuid,
        chipId,
        committedTcb,
        current,
        committed,
        launchTcb,
        launchMit,
        currentMit,
        r,
        s);
  }

  private static FirmwareVersion firmwareVersion(ByteReader in) throws VerificationException {
    int build = in.u8();
    int minor = in.u8();
    int major = in.u8();
    return new FirmwareVersion(major, minor, build);
  }

  /** The signed bytes {@code 0x000..0x29F}. */
  public byte[] signedBytes() {
    return Arrays.copyOf(bytes, SIGNED_LENGTH);
  }

  /**
   * The signature as DER {@code SEQUENCE {r, s}}. R and S are little-endian in the report; a value
   * with a non-zero byte above the 48 a P-384 scalar needs cannot be a valid signature, so it is
   * passed through unchanged for the verifier to reject.
   */
  public byte[] signatureDer() {
    return Signatures.ecdsaDer(bigEndian(r), bigEndian(s));
  }

  private static byte[] bigEndian(byte[] le) {
    byte[] be = new byte[le.length];
    for (int i = 0; i < le.length; i++) {
      be[i] = le[le.length - 1 - i];
    }
    return be;
  }

  /** True when the R and S fields hold values that fit a P-384 signature (upper bytes zero). */
  boolean signatureFitsP384() {
    for (int i = P384_BYTES; i < COMPONENT; i++) {
      if (r[i] != 0 || s[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** KEY_INFO SIGNING_KEY (bits 4:2). */
  public SigningKey signingKey() throws VerificationException {
    int v = (int) ((keyInfo >>> 2) & 7);
    return switch (v) {
      case 0 -> SigningKey.VCEK;
      case 1 -> SigningKey.VLEK;
      case 7 -> SigningKey.NONE;
      default ->
          throw new VerificationException(
              Failure.UNSUPPORTED, "SEV-SNP report: reserved SIGNING_KEY value " + v);
    };
  }

  /** KEY_INFO MASK_CHIP_KEY: when set the firmware wrote zeros instead of a signature. */
  public boolean maskChipKey() {
    return (keyInfo & 2) != 0;
  }

  /** KEY_INFO AUTHOR_KEY_EN: AUTHOR_KEY_DIGEST holds the digest of the author key. */
  public boolean authorKeyEnabled() {
    return (keyInfo & 1) != 0;
  }

  /** True when CHIP_ID is all zero, as the firmware reports it under MASK_CHIP_ID. */
  public boolean chipIdMasked() {
    for (byte b : chipId) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public byte[] reportData() {
    return reportData.clone();
  }

  @Override
  public byte[] chipId() {
    return chipId.clone();
  }

  @Override
  public byte[] measurement() {
    return measurement.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SnpReport other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "SnpReport[version="
        + version
        + ", vmpl="
        + vmpl
        + ", policy=0x"
        + Long.toHexString(policy)
        + "]";
  }
}
