package dev.vouch.evidence.snp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.OptionalInt;

/**
 * Rebuilds the binary ATTESTATION_REPORT from the JSON form that the Rust {@code sev} crate (7.x)
 * serialises and Trustee's SNP attester sends: field names as in the crate ({@code sig_algo},
 * {@code plat_info}, {@code key_info}, {@code current}/{@code committed} as {@code {major, minor,
 * build}}, TCB versions as {@code {fmc, bootloader, tee, snp, microcode}}, byte arrays as arrays of
 * numbers, {@code signature: {r, s}} with 72 little-endian bytes each). Reserved bytes are zero, as
 * the firmware writes them; a report that did not come that way fails its signature check.
 */
final class SevReportJson {
  private SevReportJson() {}

  static byte[] toBytes(JsonNode j) throws VerificationException {
    if (!j.isObject()) {
      throw malformed("attestation_report is neither a string nor an object");
    }
    long version = u32(j, "version");
    if (version < SnpReport.MIN_VERSION || version > SnpReport.MAX_VERSION) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "SEV-SNP report version " + version + " (supported: 2 to 5)");
    }
    byte[] chipId = bytes(j, "chip_id", 64);
    boolean fmcLayout = fmcLayout(j, version, chipId);
    ByteBuffer b = ByteBuffer.allocate(SnpReport.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0x00, (int) version);
    b.putInt(0x04, (int) u32(j, "guest_svn"));
    b.putLong(0x08, u64(j, "policy"));
    b.put(0x10, bytes(j, "family_id", 16));
    b.put(0x20, bytes(j, "image_id", 16));
    b.putInt(0x30, (int) u32(j, "vmpl"));
    b.putInt(0x34, (int) u32(j, "sig_algo"));
    b.putLong(0x38, tcb(j, "current_tcb", fmcLayout));
    b.putLong(0x40, u64(j, "plat_info"));
    b.putInt(0x48, (int) u32(j, "key_info"));
    b.put(0x50, bytes(j, "report_data", 64));
    b.put(0x90, bytes(j, "measurement", 48));
    b.put(0xC0, bytes(j, "host_data", 32));
    b.put(0xE0, bytes(j, "id_key_digest", 48));
    b.put(0x110, bytes(j, "author_key_digest", 48));
    b.put(0x140, bytes(j, "report_id", 32));
    b.put(0x160, bytes(j, "report_id_ma", 32));
    b.putLong(0x180, tcb(j, "reported_tcb", fmcLayout));
    if (version >= 3) {
      b.put(0x188, (byte) u8(j, "cpuid_fam_id"));
      b.put(0x189, (byte) u8(j, "cpuid_mod_id"));
      b.put(0x18A, (byte) u8(j, "cpuid_step"));
    }
    b.put(0x1A0, chipId);
    b.putLong(0x1E0, tcb(j, "committed_tcb", fmcLayout));
    version(b, 0x1E8, j, "current");
    version(b, 0x1EC, j, "committed");
    b.putLong(0x1F0, tcb(j, "launch_tcb", fmcLayout));
    if (version >= 5) {
      b.putLong(0x1F8, u64(j, "launch_mit_vector"));
      b.putLong(0x200, u64(j, "current_mit_vector"));
    }
    JsonNode sig = j.path("signature");
    b.put(SnpReport.SIGNED_LENGTH, bytes(sig, "r", 72));
    b.put(SnpReport.SIGNED_LENGTH + 72, bytes(sig, "s", 72));
    return b.array();
  }

  /**
   * TCB versions use the Turin layout when the crate wrote an FMC level, when CPUID names Turin, or
   * (version 2, no CPUID) when only the first 8 bytes of CHIP_ID are set, as the crate decides.
   */
  private static boolean fmcLayout(JsonNode j, long version, byte[] chipId)
      throws VerificationException {
    if (j.path("reported_tcb").path("fmc").isNumber()) {
      return true;
    }
    if (version >= 3) {
      int fam = u8(j, "cpuid_fam_id");
      int mod = u8(j, "cpuid_mod_id");
      return SnpProduct.fromCpuid(fam, mod)
          .orElseThrow(
              () ->
                  new VerificationException(
                      Failure.UNSUPPORTED,
                      String.format(
                          "CPU family %02xh model %02xh has no SEV-SNP product", fam, mod)))
          .fmcTcbLayout();
    }
    boolean anyLow = false;
    for (int i = 0; i < 8; i++) {
      anyLow |= chipId[i] != 0;
    }
    for (int i = 8; i < 64; i++) {
      if (chipId[i] != 0) {
        return false;
      }
    }
    return anyLow;
  }

  private static long tcb(JsonNode j, String name, boolean fmcLayout) throws VerificationException {
    JsonNode t = j.path(name);
    if (!t.isObject()) {
      throw malformed(name + " is not a TCB object");
    }
    JsonNode fmc = t.path("fmc");
    OptionalInt f = fmc.isNumber() ? OptionalInt.of(u8(t, "fmc")) : OptionalInt.empty();
    if (!fmcLayout && f.isPresent()) {
      throw malformed(name + ".fmc is set for a product without FMC");
    }
    return TcbVersion.encode(
        fmcLayout ? SnpProduct.TURIN : SnpProduct.MILAN,
        f,
        u8(t, "bootloader"),
        u8(t, "tee"),
        u8(t, "snp"),
        u8(t, "microcode"));
  }

  private static void version(ByteBuffer b, int at, JsonNode j, String name)
      throws VerificationException {
    JsonNode v = j.path(name);
    b.put(at, (byte) u8(v, "build"));
    b.put(at + 1, (byte) u8(v, "minor"));
    b.put(at + 2, (byte) u8(v, "major"));
  }

  private static int u8(JsonNode j, String name) throws VerificationException {
    return (int) unsigned(j, name, 8);
  }

  private static long u32(JsonNode j, String name) throws VerificationException {
    return unsigned(j, name, 32);
  }

  private static long u64(JsonNode j, String name) throws VerificationException {
    return unsigned(j, name, 64);
  }

  private static long unsigned(JsonNode j, String name, int bits) throws VerificationException {
    JsonNode n = j.path(name);
    if (!n.isIntegralNumber()) {
      throw malformed(name + " is not an integer");
    }
    BigInteger v = n.bigIntegerValue();
    if (v.signum() < 0 || v.bitLength() > bits) {
      throw malformed(name + " " + v + " does not fit " + bits + " unsigned bits");
    }
    return v.longValue();
  }

  private static byte[] bytes(JsonNode j, String name, int length) throws VerificationException {
    JsonNode a = j.path(name);
    if (!a.isArray() || a.size() != length) {
      throw malformed(name + " is not an array of " + length + " bytes");
    }
    byte[] out = new byte[length];
    for (int i = 0; i < length; i++) {
      JsonNode e = a.get(i);
      if (!e.isIntegralNumber() || !e.canConvertToInt() || e.asInt() < 0 || e.asInt() > 255) {
        throw malformed(name + "[" + i + "] is not a byte");
      }
      out[i] = (byte) e.asInt();
    }
    return out;
  }

  private static VerificationException malformed(String what) {
    return new VerificationException(Failure.MALFORMED, "SNP evidence JSON: " + what);
  }
}
