package dev.vouch.evidence.dcap;

import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;

/**
 * An SGX enclave report (384 bytes): the body of an SGX quote, and the QE report every quote
 * carries. Fields are kept as the little-endian bytes of the report except the 16-bit numbers.
 *
 * @param cpuSvn 16 bytes
 * @param miscSelect 4 bytes as in the report
 * @param attributes 16 bytes: flags (bit 1 of byte 0 is DEBUG) then XFRM
 * @param mrEnclave 32 bytes
 * @param mrSigner 32 bytes
 * @param configId 64 bytes
 * @param isvProdId product id
 * @param isvSvn security version
 * @param configSvn config security version
 * @param isvFamilyId 16 bytes
 * @param isvExtProdId 16 bytes
 * @param reportData 64 bytes
 */
public record EnclaveReport(
    byte[] cpuSvn,
    byte[] miscSelect,
    byte[] attributes,
    byte[] mrEnclave,
    byte[] mrSigner,
    byte[] configId,
    int isvProdId,
    int isvSvn,
    int configSvn,
    byte[] isvFamilyId,
    byte[] isvExtProdId,
    byte[] reportData)
    implements QuoteBody {
  /** The report length in bytes. */
  public static final int SIZE = 384;

  static EnclaveReport read(ByteReader r) throws VerificationException {
    byte[] cpuSvn = r.bytes(16);
    byte[] misc = r.bytes(4);
    r.skip(12);
    byte[] extProd = r.bytes(16);
    byte[] attributes = r.bytes(16);
    byte[] mrEnclave = r.bytes(32);
    r.skip(32);
    byte[] mrSigner = r.bytes(32);
    r.skip(32);
    byte[] configId = r.bytes(64);
    int prodId = r.u16();
    int svn = r.u16();
    int configSvn = r.u16();
    r.skip(42);
    byte[] family = r.bytes(16);
    byte[] reportData = r.bytes(64);
    return new EnclaveReport(
        cpuSvn,
        misc,
        attributes,
        mrEnclave,
        mrSigner,
        configId,
        prodId,
        svn,
        configSvn,
        family,
        extProd,
        reportData);
  }

  /** The MISCSELECT value as the little-endian 32-bit number it is. */
  public long miscSelectValue() {
    return (miscSelect[0] & 0xffL)
        | (miscSelect[1] & 0xffL) << 8
        | (miscSelect[2] & 0xffL) << 16
        | (miscSelect[3] & 0xffL) << 24;
  }

  /** True when the enclave was launched in debug mode (ATTRIBUTES.DEBUG, bit 1). */
  public boolean debug() {
    return (attributes[0] & 0x02) != 0;
  }

  @Override
  public byte[] reportData() {
    return reportData.clone();
  }

  @Override
  public byte[] cpuSvn() {
    return cpuSvn.clone();
  }

  @Override
  public byte[] attributes() {
    return attributes.clone();
  }

  @Override
  public byte[] mrEnclave() {
    return mrEnclave.clone();
  }

  @Override
  public byte[] mrSigner() {
    return mrSigner.clone();
  }
}
