package dev.vouch.evidence.tpm.eventlog;

import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.bytes.Hex;
import java.util.Locale;
import java.util.Optional;

/**
 * Renders an {@code EFI_DEVICE_PATH_PROTOCOL} in the UEFI text form for the nodes boot paths use
 * (PCI, ACPI, SCSI/SATA/NVMe, hard drive, file path, firmware volume); other nodes print as {@code
 * Path(type,subtype,hex)}. Display only: nothing is verified against it.
 */
final class DevicePaths {
  private static final long PNP_0A03 = 0x0a0341d0L;

  private DevicePaths() {}

  static Optional<String> toText(byte[] path) {
    if (path.length == 0) {
      return Optional.empty();
    }
    try {
      ByteReader r = ByteReader.littleEndian(path);
      StringBuilder sb = new StringBuilder();
      while (r.hasRemaining()) {
        int type = r.u8();
        int subtype = r.u8();
        int length = r.u16();
        if (length < 4) {
          return Optional.empty();
        }
        ByteReader body = r.slice(length - 4);
        if (type == 0x7f) {
          if (subtype == 0xff) {
            break;
          }
          sb.append(',');
          continue;
        }
        if (!sb.isEmpty() && sb.charAt(sb.length() - 1) != ',') {
          sb.append('/');
        }
        sb.append(node(type, subtype, body, length - 4));
      }
      return sb.isEmpty() ? Optional.empty() : Optional.of(sb.toString());
    } catch (VerificationException e) {
      return Optional.empty();
    }
  }

  private static String node(int type, int subtype, ByteReader b, int n)
      throws VerificationException {
    if (type == 1 && subtype == 1 && n >= 2) {
      int function = b.u8();
      int device = b.u8();
      return fmt("Pci(0x%x,0x%x)", device, function);
    }
    if (type == 2 && subtype == 1 && n >= 8) {
      long hid = b.u32();
      long uid = b.u32();
      return hid == PNP_0A03 ? fmt("PciRoot(0x%x)", uid) : fmt("Acpi(0x%08x,0x%x)", hid, uid);
    }
    if (type == 3 && subtype == 2 && n >= 4) {
      return fmt("Scsi(0x%x,0x%x)", b.u16(), b.u16());
    }
    if (type == 3 && subtype == 0x12 && n >= 6) {
      return fmt("Sata(0x%x,0x%x,0x%x)", b.u16(), b.u16(), b.u16());
    }
    if (type == 3 && subtype == 0x17 && n >= 12) {
      long nsid = b.u32();
      return fmt("NVMe(0x%x,%s)", nsid, Hex.encode(b.bytes(8)));
    }
    if (type == 4 && subtype == 1 && n >= 38) {
      long partition = b.u32();
      long start = b.u64();
      long size = b.u64();
      byte[] signature = b.bytes(16);
      b.u8(); // partition format: implied by the signature type below
      int signatureType = b.u8();
      if (signatureType == 2) {
        ByteReader g = ByteReader.littleEndian(signature);
        return fmt("HD(%d,GPT,%s,0x%x,0x%x)", partition, EfiData.guid(g), start, size);
      }
      long mbr = ByteReader.littleEndian(signature).u32();
      return fmt("HD(%d,MBR,0x%08x,0x%x,0x%x)", partition, mbr, start, size);
    }
    if (type == 4 && subtype == 4) {
      return EfiData.utf16(b.bytes(n));
    }
    if (type == 4 && subtype == 6 && n >= 16) {
      return "FvFile(" + EfiData.guid(b) + ")";
    }
    if (type == 4 && subtype == 7 && n >= 16) {
      return "Fv(" + EfiData.guid(b) + ")";
    }
    if (type == 4 && subtype == 8 && n >= 20) {
      b.u32();
      return fmt("Offset(0x%x,0x%x)", b.u64(), b.u64());
    }
    return fmt("Path(%d,%d,%s)", type, subtype, Hex.encode(b.bytes(n)));
  }

  private static String fmt(String f, Object... args) {
    return String.format(Locale.ROOT, f, args);
  }
}
