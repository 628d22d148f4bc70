package dev.vouch.evidence.dcap;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import java.util.Arrays;
import java.util.Objects;

/**
 * A parsed Intel DCAP ECDSA quote: version 3 (SGX), 4 (TDX 1.0 or SGX) or 5 (SGX, TDX 1.0 or TDX
 * 1.5 body), with the quote signature, the attestation key, the QE report and its signature by the
 * PCK key, the QE authentication data and the PCK certificate chain (certification data type 5,
 * directly in v3 or inside type 6 in v4/v5). Parsing checks framing only; {@link DcapQuoteVerifier}
 * checks the signatures.
 *
 * @param header the quote header
 * @param body the signed report
 * @param signedLength how many leading bytes of {@link #raw()} the attestation key signed
 * @param signature the quote signature, {@code r || s}, 64 bytes
 * @param attestationKey the attestation public key, {@code x || y}, 64 bytes
 * @param qeReport the QE report
 * @param qeReportBytes the QE report as signed by the PCK key (384 bytes)
 * @param qeReportSignature the PCK key's signature over the QE report, {@code r || s}
 * @param qeAuthData QE authentication data hashed into the QE report data
 * @param pckChainPem the PEM PCK certificate chain (certification data type 5)
 */
public record DcapQuote(
    byte[] raw,
    QuoteHeader header,
    QuoteBody body,
    int signedLength,
    byte[] signature,
    byte[] attestationKey,
    EnclaveReport qeReport,
    byte[] qeReportBytes,
    byte[] qeReportSignature,
    byte[] qeAuthData,
    byte[] pckChainPem) {

  /** Certification data type 5: PEM PCK leaf, intermediate CA and root CA certificates. */
  public static final int CERT_PCK_CHAIN = 5;

  /** Certification data type 6: QE report certification data wrapping type 5. */
  public static final int CERT_QE_REPORT = 6;

  private static final int BODY_SGX = 1;
  private static final int BODY_TD10 = 2;
  private static final int BODY_TD15 = 3;

  /**
   * Parses a quote.
   *
   * @throws VerificationException {@link Failure#TRUNCATED} when the quote ends early, {@link
   *     Failure#UNSUPPORTED} for a version, key type, TEE type, body type or certification data
   *     type Vouch does not verify, {@link Failure#MALFORMED} for inconsistent sizes or non-zero
   *     trailing bytes
   */
  public static DcapQuote parse(byte[] quote) throws VerificationException {
    Objects.requireNonNull(quote, "quote");
    ByteReader r = ByteReader.littleEndian(quote);
    QuoteHeader h = QuoteHeader.read(r);
    if (h.version() < 3 || h.version() > 5) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "DCAP quote version " + h.version() + " (3, 4 or 5 are verified)");
    }
    if (h.attestationKeyType() != QuoteHeader.ECDSA_P256) {
      throw new VerificationException(
          Failure.UNSUPPORTED,
          "attestation key type " + h.attestationKeyType() + " (only 2, ECDSA P-256)");
    }
    if (h.teeType() != QuoteHeader.TEE_SGX && h.teeType() != QuoteHeader.TEE_TDX) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "TEE type 0x" + Long.toHexString(h.teeType()));
    }
    if (h.version() == 3 && h.isTdx()) {
      throw new VerificationException(Failure.MALFORMED, "a v3 quote cannot carry a TD report");
    }
    QuoteBody body;
    if (h.version() == 5) {
      int type = r.u16();
      long size = r.u32();
      boolean ok =
          switch (type) {
            case BODY_SGX -> !h.isTdx() && size == EnclaveReport.SIZE;
            case BODY_TD10 -> h.isTdx() && size == TdReport.SIZE_10;
            case BODY_TD15 -> h.isTdx() && size == TdReport.SIZE_15;
            default -> false;
          };
      if (!ok) {
        throw new VerificationException(
            Failure.MALFORMED,
            "v5 body type " + type + " of " + size + " bytes does not fit TEE type");
      }
      ByteReader b = r.slice(size);
      body = type == BODY_SGX ? EnclaveReport.read(b) : TdReport.read(b, type == BODY_TD15);
    } else {
      body = h.isTdx() ? TdReport.read(r, false) : EnclaveReport.read(r);
    }
    int signedLength = r.position();
    int sigLen = r.length32("quote signature data");
    ByteReader s = r.slice(sigLen);
    // quotes read from fixed-size kernel buffers come zero-padded; anything else is an error
    if (!r.peekAll(r.remaining(), 0)) {
      r.expectEnd("DCAP quote");
    }
    byte[] signature = s.bytes(64);
    byte[] attKey = s.bytes(64);
    byte[] qeReportBytes;
    byte[] qeSig;
    byte[] auth;
    byte[] pem;
    if (h.version() == 3) {
      qeReportBytes = s.bytes(EnclaveReport.SIZE);
      qeSig = s.bytes(64);
      auth = s.bytes(s.length16("QE authentication data"));
      pem = pckChain(s);
    } else {
      int type = s.u16();
      int size = s.length32("certification data");
      if (type != CERT_QE_REPORT) {
        throw new VerificationException(
            Failure.UNSUPPORTED, "certification data type " + type + " (v4/v5 quotes need 6)");
      }
      ByteReader c = s.slice(size);
      qeReportBytes = c.bytes(EnclaveReport.SIZE);
      qeSig = c.bytes(64);
      auth = c.bytes(c.length16("QE authentication data"));
      pem = pckChain(c);
      c.expectEnd("QE report certification data");
    }
    s.expectEnd("quote signature data");
    EnclaveReport qe = EnclaveReport.read(ByteReader.littleEndian(qeReportBytes));
    return new DcapQuote(
        quote.clone(),
        h,
        body,
        signedLength,
        signature,
        attKey,
        qe,
        qeReportBytes,
        qeSig,
        auth,
        pem);
  }

  private static byte[] pckChain(ByteReader r) throws VerificationException {
    int type = r.u16();
    int size = r.length32("PCK certification data");
    if (type != CERT_PCK_CHAIN) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "certification data type " + type + " (only 5, a PEM PCK chain)");
    }
    return r.bytes(size);
  }

  /** The bytes the attestation key signed: header and body. */
  public byte[] signedBytes() {
    return Arrays.copyOf(raw, signedLength);
  }

  /** The TD report, when this is a TDX quote. */
  public java.util.Optional<TdReport> tdReport() {
    return body instanceof TdReport t ? java.util.Optional.of(t) : java.util.Optional.empty();
  }

  /** The enclave report, when this is an SGX quote. */
  public java.util.Optional<EnclaveReport> enclaveReport() {
    return body instanceof EnclaveReport e ? java.util.Optional.of(e) : java.util.Optional.empty();
  }

  @Override
  public byte[] raw() {
    return raw.clone();
  }

  @Override
  public byte[] pckChainPem() {
    return pckChainPem.clone();
  }

  @Override
  public byte[] qeAuthData() {
    return qeAuthData.clone();
  }

  @Override
  public byte[] attestationKey() {
    return attestationKey.clone();
  }
}
