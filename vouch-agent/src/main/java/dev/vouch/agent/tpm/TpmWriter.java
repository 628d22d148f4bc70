package dev.vouch.agent.tpm;

import java.io.ByteArrayOutputStream;

/** Big-endian marshalling of TPM 2.0 basic types into a growing buffer. */
final class TpmWriter {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  TpmWriter u8(int v) {
    out.write(v);
    return this;
  }

  TpmWriter u16(int v) {
    out.write(v >>> 8);
    out.write(v);
    return this;
  }

  TpmWriter u32(long v) {
    out.write((int) (v >>> 24));
    out.write((int) (v >>> 16));
    out.write((int) (v >>> 8));
    out.write((int) v);
    return this;
  }

  TpmWriter bytes(byte[] b) {
    out.writeBytes(b);
    return this;
  }

  /** A TPM2B: 16-bit size, then the bytes. */
  TpmWriter tpm2b(byte[] b) {
    if (b.length > 0xFFFF) {
      throw new IllegalArgumentException("TPM2B of " + b.length + " bytes");
    }
    return u16(b.length).bytes(b);
  }

  int size() {
    return out.size();
  }

  byte[] toByteArray() {
    return out.toByteArray();
  }
}
