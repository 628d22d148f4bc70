package dev.vouch.evidence.tpm;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * A TPMS_ATTEST: what a TPM signs for TPM2_Quote, TPM2_Certify and the other attestation commands
 * ({@code tpm2_quote -m quote.msg}). Parsing checks the magic (TPM_GENERATED_VALUE) and the
 * structure type; it does not check the signature (see {@link TpmQuoteVerifier}).
 *
 * <p>Immutable; byte arrays are copied in and out. {@link #signedBytes()} are the exact bytes the
 * signature covers.
 */
public final class TpmAttest {

  /**
   * TPM_GENERATED_VALUE: {@code 0xff 'T' 'C' 'G'}, which a restricted key never signs for others.
   */
  public static final long TPM_GENERATED_VALUE = 0xff544347L;

  /** TPMI_ST_ATTEST: the kind of attestation. */
  public enum Type {
    NV(0x8014),
    COMMAND_AUDIT(0x8015),
    SESSION_AUDIT(0x8016),
    CERTIFY(0x8017),
    QUOTE(0x8018),
    TIME(0x8019),
    CREATION(0x801A),
    NV_DIGEST(0x801C);

    private final int tag;

    Type(int tag) {
      this.tag = tag;
    }

    /** The TPM_ST value. */
    public int tag() {
      return tag;
    }

    static Optional<Type> fromTag(int tag) {
      for (Type t : values()) {
        if (t.tag == tag) {
          return Optional.of(t);
        }
      }
      return Optional.empty();
    }
  }

  /**
   * TPMS_CLOCK_INFO.
   *
   * @param clock milliseconds the TPM has been powered, never reset
   * @param resetCount TPM resets (reboots) since the last TPM2_Clear
   * @param restartCount restarts and resumes since the last reset
   * @param safe whether {@code clock} may not have been reported before (no rollback)
   */
  public record ClockInfo(long clock, long resetCount, long restartCount, boolean safe) {}

  /** TPMU_ATTEST: the type-specific body. */
  public sealed interface Attested
      permits QuoteInfo,
          CertifyInfo,
          CreationInfo,
          TimeInfo,
          NvCertifyInfo,
          NvDigestCertifyInfo,
          CommandAuditInfo,
          SessionAuditInfo {}

  /** TPMS_QUOTE_INFO: the selected PCRs and the digest over their values. */
  public record QuoteInfo(PcrSelection selection, byte[] pcrDigest) implements Attested {
    public QuoteInfo {
      pcrDigest = pcrDigest.clone();
    }

    @Override
    public byte[] pcrDigest() {
      return pcrDigest.clone();
    }

    byte[] pcrDigestUnsafe() {
      return pcrDigest;
    }
  }

  /** TPMS_CERTIFY_INFO: the certified object's name and qualified name. */
  public record CertifyInfo(byte[] name, byte[] qualifiedName) implements Attested {
    public CertifyInfo {
      name = name.clone();
      qualifiedName = qualifiedName.clone();
    }

    @Override
    public byte[] name() {
      return name.clone();
    }

    @Override
    public byte[] qualifiedName() {
      return qualifiedName.clone();
    }
  }

  /** TPMS_CREATION_INFO: a created object's name and the hash of its creation data. */
  public record CreationInfo(byte[] objectName, byte[] creationHash) implements Attested {
    public CreationInfo {
      objectName = objectName.clone();
      creationHash = creationHash.clone();
    }

    @Override
    public byte[] objectName() {
      return objectName.clone();
    }

    @Override
    public byte[] creationHash() {
      return creationHash.clone();
    }
  }

  /** TPMS_TIME_ATTEST_INFO. */
  public record TimeInfo(long time, ClockInfo clockInfo, long firmwareVersion)
      implements Attested {}

  /** TPMS_NV_CERTIFY_INFO. */
  public record NvCertifyInfo(byte[] indexName, int offset, byte[] nvContents) implements Attested {
    public NvCertifyInfo {
      indexName = indexName.clone();
      nvContents = nvContents.clone();
    }

    @Override
    public byte[] indexName() {
      return indexName.clone();
    }

    @Override
    public byte[] nvContents() {
      return nvContents.clone();
    }
  }

  /** TPMS_NV_DIGEST_CERTIFY_INFO. */
  public record NvDigestCertifyInfo(byte[] indexName, byte[] nvDigest) implements Attested {
    public NvDigestCertifyInfo {
      indexName = indexName.clone();
      nvDigest = nvDigest.clone();
    }

    @Override
    public byte[] indexName() {
      return indexName.clone();
    }

    @Override
    public byte[] nvDigest() {
      return nvDigest.clone();
    }
  }

  /** TPMS_COMMAND_AUDIT_INFO; {@code digestAlg} is a TPM_ALG_ID. */
  public record CommandAuditInfo(
      long auditCounter, int digestAlg, byte[] auditDigest, byte[] commandDigest)
      implements Attested {
    public CommandAuditInfo {
      auditDigest = auditDigest.clone();
      commandDigest = commandDigest.clone();
    }

    @Override
    public byte[] auditDigest() {
      return auditDigest.clone();
    }

    @Override
    public byte[] commandDigest() {
      return commandDigest.clone();
    }
  }

  /** TPMS_SESSION_AUDIT_INFO. */
  public record SessionAuditInfo(boolean exclusiveSession, byte[] sessionDigest)
      implements Attested {
    public SessionAuditInfo {
      sessionDigest = sessionDigest.clone();
    }

    @Override
    public byte[] sessionDigest() {
      return sessionDigest.clone();
    }
  }

  private final Type type;
  private final byte[] qualifiedSigner;
  private final byte[] extraData;
  private final ClockInfo clockInfo;
  private final long firmwareVersion;
  private final Attested attested;
  private final byte[] signedBytes;

  private TpmAttest(
      Type type,
      byte[] qualifiedSigner,
      byte[] extraData,
      ClockInfo clockInfo,
      long firmwareVersion,
      Attested attested,
      byte[] signedBytes) {
    this.type = type;
    this.qualifiedSigner = qualifiedSigner;
    this.extraData = extraData;
    this.clockInfo = clockInfo;
    this.firmwareVersion = firmwareVersion;
    this.attested = attested;
    this.signedBytes = signedBytes;
  }

  /**
   * Parses a complete TPMS_ATTEST.
   *
   * @throws VerificationException {@link Failure#TRUNCATED} when the input ends early; {@link
   *     Failure#MALFORMED} for a wrong magic, an unknown type, a bad boolean or trailing bytes;
   *     {@link Failure#UNSUPPORTED} for a PCR bank whose hash Vouch does not know
   */
  public static TpmAttest parse(byte[] bytes) throws VerificationException {
    byte[] copy = bytes.clone();
    ByteReader r = ByteReader.bigEndian(copy);
    long magic = r.u32();
    if (magic != TPM_GENERATED_VALUE) {
      throw new VerificationException(
          Failure.MALFORMED,
          String.format("TPMS_ATTEST: magic 0x%08x is not TPM_GENERATED_VALUE", magic));
    }
    int tag = r.u16();
    Type type =
        Type.fromTag(tag)
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.MALFORMED,
                        String.format("TPMS_ATTEST: type 0x%04x is not an attestation", tag)));
    byte[] signer = r.sized16();
    byte[] extra = r.sized16();
    ClockInfo clock = readClock(r);
    long firmware = r.u64();
    Attested body =
        switch (type) {
          case QUOTE -> new QuoteInfo(PcrSelection.read(r), r.sized16());
          case CERTIFY -> new CertifyInfo(r.sized16(), r.sized16());
          case CREATION -> new CreationInfo(r.sized16(), r.sized16());
          case TIME -> new TimeInfo(r.u64(), readClock(r), r.u64());
          case NV -> new NvCertifyInfo(r.sized16(), r.u16(), r.sized16());
          case NV_DIGEST -> new NvDigestCertifyInfo(r.sized16(), r.sized16());
          case COMMAND_AUDIT -> new CommandAuditInfo(r.u64(), r.u16(), r.sized16(), r.sized16());
          case SESSION_AUDIT -> new SessionAuditInfo(readYesNo(r), r.sized16());
        };
    r.expectEnd("TPMS_ATTEST");
    return new TpmAttest(type, signer, extra, clock, firmware, body, copy);
  }

  /**
   * Marshals a quote's TPMS_ATTEST exactly as TPM2_Quote lays it out, for software TPMs (simulated
   * hosts, load generators) whose quotes must pass the same parser and verifier as real ones. The
   * result parses back with {@link #parse} to the same fields.
   *
   * @param qualifiedSigner the signing key's (qualified) name, a TPM2B_NAME body
   * @param extraData the qualifying data, normally the verifier's nonce (at most 64 bytes)
   * @param clockInfo the TPM clock and its reset and restart counters
   * @param firmwareVersion the vendor firmware version
   * @param quote the PCR selection and the digest over the selected values
   * @throws IllegalArgumentException when a sized field exceeds its TPM2B limit
   */
  public static byte[] encodeQuote(
      byte[] qualifiedSigner,
      byte[] extraData,
      ClockInfo clockInfo,
      long firmwareVersion,
      QuoteInfo quote) {
    if (extraData.length > 64) {
      throw new IllegalArgumentException("extraData of " + extraData.length + " bytes; at most 64");
    }
    byte[] selection = quote.selection().encode();
    byte[] digest = quote.pcrDigestUnsafe();
    // magic, type, three TPM2B sizes, clockInfo (8+4+4+1) and firmwareVersion are fixed-size
    int fixed = 4 + 2 + 3 * 2 + 17 + 8;
    ByteBuffer b =
        ByteBuffer.allocate(
            fixed + qualifiedSigner.length + extraData.length + selection.length + digest.length);
    b.putInt((int) TPM_GENERATED_VALUE).putShort((short) Type.QUOTE.tag());
    putSized(b, qualifiedSigner);
    putSized(b, extraData);
    b.putLong(clockInfo.clock())
        .putInt((int) clockInfo.resetCount())
        .putInt((int) clockInfo.restartCount())
        .put((byte) (clockInfo.safe() ? 1 : 0));
    b.putLong(firmwareVersion);
    b.put(selection);
    putSized(b, digest);
    return b.array();
  }

  private static void putSized(ByteBuffer b, byte[] v) {
    if (v.length > 0xFFFF) {
      throw new IllegalArgumentException("TPM2B of " + v.length + " bytes");
    }
    b.putShort((short) v.length).put(v);
  }

  private static ClockInfo readClock(ByteReader r) throws VerificationException {
    return new ClockInfo(r.u64(), r.u32(), r.u32(), readYesNo(r));
  }

  private static boolean readYesNo(ByteReader r) throws VerificationException {
    int b = r.u8();
    if (b > 1) {
      throw new VerificationException(
          Failure.MALFORMED, "TPMI_YES_NO holds " + b + " at offset " + (r.position() - 1));
    }
    return b == 1;
  }

  public Type type() {
    return type;
  }

  /** The qualified name of the signing key (TPM2B_NAME), as the TPM put it. */
  public byte[] qualifiedSigner() {
    return qualifiedSigner.clone();
  }

  /** The caller's qualifying data, normally the verifier's nonce. */
  public byte[] extraData() {
    return extraData.clone();
  }

  /** Constant-time comparison of {@link #extraData()} with {@code nonce}. */
  public boolean extraDataEquals(byte[] nonce) {
    return dev.vouch.core.crypto.Crypto.constantTimeEquals(extraData, nonce);
  }

  public ClockInfo clockInfo() {
    return clockInfo;
  }

  /** The vendor-specific firmware version (TPM_PT_FIRMWARE_VERSION_1 and _2). */
  public long firmwareVersion() {
    return firmwareVersion;
  }

  public Attested attested() {
    return attested;
  }

  /** The quote body, when this is a quote. */
  public Optional<QuoteInfo> quote() {
    return attested instanceof QuoteInfo q ? Optional.of(q) : Optional.empty();
  }

  /** The exact bytes that were parsed and that the signature covers. */
  public byte[] signedBytes() {
    return signedBytes.clone();
  }

  // package-private, for the verifier's hot path without a copy
  byte[] signedBytesUnsafe() {
    return signedBytes;
  }

  @Override
  public String toString() {
    return "TpmAttest[" + type + ", clock=" + clockInfo.clock() + "]";
  }
}
