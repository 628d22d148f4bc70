package dev.vouch.evidence.tdx;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;

/**
 * The ACPI {@code CCEL} table (Confidential Computing Event Log): where the firmware put the event
 * log and how long its area is.
 *
 * @param ccType 1 = SEV, 2 = TDX
 * @param ccSubtype vendor subtype
 * @param logAreaMinimumLength LAML, the size of the log area
 * @param logAreaStartAddress LASA, the guest-physical start of the log area
 */
public record CcelTable(
    int ccType, int ccSubtype, long logAreaMinimumLength, long logAreaStartAddress) {
  /** Table length of revision 1. */
  public static final int SIZE = 56;

  /** CC type of Intel TDX. */
  public static final int CC_TYPE_TDX = 2;

  /**
   * Parses the table as read from {@code /sys/firmware/acpi/tables/CCEL}.
   *
   * @throws VerificationException {@link Failure#MALFORMED} for a wrong signature, length or
   *     checksum, {@link Failure#TRUNCATED} when shorter than its header says
   */
  public static CcelTable parse(byte[] table) throws VerificationException {
    ByteReader r = ByteReader.littleEndian(table);
    byte[] sig = r.bytes(4);
    if (sig[0] != 'C' || sig[1] != 'C' || sig[2] != 'E' || sig[3] != 'L') {
      throw new VerificationException(Failure.MALFORMED, "ACPI table signature is not CCEL");
    }
    long length = r.u32();
    if (length != table.length || length < SIZE) {
      throw new VerificationException(
          Failure.MALFORMED, "CCEL table length " + length + " for " + table.length + " bytes");
    }
    int sum = 0;
    for (byte b : table) {
      sum += b;
    }
    if ((sum & 0xff) != 0) {
      throw new VerificationException(Failure.MALFORMED, "CCEL table checksum does not add up");
    }
    r.skip(36 - 8);
    int type = r.u8();
    int subtype = r.u8();
    r.skip(2);
    long laml = r.u64();
    long lasa = r.u64();
    return new CcelTable(type, subtype, laml, lasa);
  }
}
