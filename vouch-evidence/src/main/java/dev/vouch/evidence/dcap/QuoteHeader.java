package dev.vouch.evidence.dcap;

import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;

/**
 * The 48-byte header of an Intel DCAP quote (v3, v4 and v5).
 *
 * @param version 3 (SGX), 4 (TDX 1.0 or SGX) or 5 (typed body)
 * @param attestationKeyType 2 = ECDSA-256 with P-256, the only type Vouch accepts
 * @param teeType {@link #TEE_SGX} or {@link #TEE_TDX}
 * @param qeSvn security version of the quoting enclave (reserved in v3)
 * @param pceSvn security version of the provisioning certification enclave
 * @param qeVendorId 16 bytes; Intel's QE is {@code 939a7233f79c4ca9940a0db3957f0607}
 * @param userData 20 bytes of QE-defined data (the first 16 identify the platform QE)
 */
public record QuoteHeader(
    int version,
    int attestationKeyType,
    long teeType,
    int qeSvn,
    int pceSvn,
    byte[] qeVendorId,
    byte[] userData) {
  /** The header length in bytes. */
  public static final int SIZE = 48;

  /** TEE type of an SGX enclave quote. */
  public static final long TEE_SGX = 0x00000000L;

  /** TEE type of a TDX TD quote. */
  public static final long TEE_TDX = 0x00000081L;

  /** Attestation key type ECDSA-256 with P-256. */
  public static final int ECDSA_P256 = 2;

  public QuoteHeader {
    qeVendorId = qeVendorId.clone();
    userData = userData.clone();
  }

  static QuoteHeader read(ByteReader r) throws VerificationException {
    int version = r.u16();
    int keyType = r.u16();
    long teeType = r.u32();
    int qeSvn = r.u16();
    int pceSvn = r.u16();
    byte[] vendor = r.bytes(16);
    byte[] user = r.bytes(20);
    return new QuoteHeader(version, keyType, teeType, qeSvn, pceSvn, vendor, user);
  }

  @Override
  public byte[] qeVendorId() {
    return qeVendorId.clone();
  }

  @Override
  public byte[] userData() {
    return userData.clone();
  }

  /** True for a TDX quote. */
  public boolean isTdx() {
    return teeType == TEE_TDX;
  }
}
