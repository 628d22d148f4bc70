package dev.vouch.evidence.tpm.eventlog;

import dev.vouch.core.crypto.HashAlg;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Writes small synthetic event logs for the negative and rule tests. */
final class LogBuilder {
  /** One Spec ID algorithm entry: TPM_ALG_ID and digest size. */
  record Alg(int id, int size) {
    static Alg of(HashAlg a) {
      return new Alg(a.tpmId(), a.size());
    }
  }

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final List<Alg> algs;
  private final boolean legacy;

  private LogBuilder(List<Alg> algs, boolean legacy) {
    this.algs = algs;
    this.legacy = legacy;
  }

  /** A crypto-agile log whose Spec ID event lists {@code algs}. */
  static LogBuilder agile(Alg... algs) {
    LogBuilder b = new LogBuilder(List.of(algs), false);
    b.legacyEntry(0, EventType.EV_NO_ACTION.code(), new byte[20], specId(algs));
    return b;
  }

  /** A SHA-1 legacy log with no entries yet. */
  static LogBuilder legacy() {
    return new LogBuilder(List.of(Alg.of(HashAlg.SHA1)), true);
  }

  /** The data of a {@code Spec ID Event03} listing {@code algs}. */
  static byte[] specId(Alg... algs) {
    ByteArrayOutputStream d = new ByteArrayOutputStream();
    d.writeBytes(signature(SpecIdEvent.AGILE_SIGNATURE));
    u32(d, 0); // platform class
    d.write(0); // minor
    d.write(2); // major
    d.write(0); // errata
    d.write(2); // uintn size
    u32(d, algs.length);
    for (Alg a : algs) {
      u16(d, a.id());
      u16(d, a.size());
    }
    d.write(0); // vendor info size
    return d.toByteArray();
  }

  static byte[] startupLocality(int locality) {
    ByteArrayOutputStream d = new ByteArrayOutputStream();
    d.writeBytes(signature("StartupLocality"));
    d.write(locality);
    return d.toByteArray();
  }

  static byte[] variable(UUID guid, String name, byte[] value) {
    ByteArrayOutputStream d = new ByteArrayOutputStream();
    u32(d, guid.getMostSignificantBits() >>> 32);
    u16(d, (int) (guid.getMostSignificantBits() >>> 16));
    u16(d, (int) guid.getMostSignificantBits());
    long lsb = guid.getLeastSignificantBits();
    for (int i = 7; i >= 0; i--) {
      d.write((int) (lsb >>> (8 * i)));
    }
    u64(d, name.length());
    u64(d, value.length);
    d.writeBytes(name.getBytes(StandardCharsets.UTF_16LE));
    d.writeBytes(value);
    return d.toByteArray();
  }

  /** A 16-byte NUL-padded signature. */
  static byte[] signature(String s) {
    byte[] sig = new byte[16];
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, sig, 0, b.length);
    return sig;
  }

  /** An entry whose digest in every bank is that bank's hash of {@code data}. */
  LogBuilder event(long pcr, long type, byte[] data) {
    List<byte[]> digests = new ArrayList<>();
    for (Alg a : algs) {
      digests.add(digestFor(a, data));
    }
    return entry(pcr, type, algs, digests, data);
  }

  /** The digest this builder writes for {@code data} in bank {@code a}. */
  static byte[] digestFor(Alg a, byte[] data) {
    return HashAlg.fromTpmId(a.id()).map(h -> h.digest(data)).orElseGet(() -> new byte[a.size()]);
  }

  /** An entry with explicit algorithm ids and digests (which may disagree with the Spec ID). */
  LogBuilder entry(long pcr, long type, List<Alg> ids, List<byte[]> digests, byte[] data) {
    if (legacy) {
      return legacyEntry(pcr, type, digests.get(0), data);
    }
    u32(out, pcr);
    u32(out, type);
    u32(out, ids.size());
    for (int i = 0; i < ids.size(); i++) {
      u16(out, ids.get(i).id());
      out.writeBytes(digests.get(i));
    }
    u32(out, data.length);
    out.writeBytes(data);
    return this;
  }

  LogBuilder legacyEntry(long pcr, long type, byte[] sha1, byte[] data) {
    u32(out, pcr);
    u32(out, type);
    out.writeBytes(sha1);
    u32(out, data.length);
    out.writeBytes(data);
    return this;
  }

  LogBuilder raw(byte[] bytes) {
    out.writeBytes(bytes);
    return this;
  }

  byte[] build() {
    return out.toByteArray();
  }

  static void u16(ByteArrayOutputStream o, int v) {
    o.write(v);
    o.write(v >>> 8);
  }

  static void u32(ByteArrayOutputStream o, long v) {
    for (int i = 0; i < 4; i++) {
      o.write((int) (v >>> (8 * i)));
    }
  }

  static void u64(ByteArrayOutputStream o, long v) {
    for (int i = 0; i < 8; i++) {
      o.write((int) (v >>> (8 * i)));
    }
  }
}
