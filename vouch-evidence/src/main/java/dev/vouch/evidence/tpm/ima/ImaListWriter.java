package dev.vouch.evidence.tpm.ima;

import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes IMA lists in both kernel exports, computing each template hash as the kernel does: for
 * simulated agents, load generation and tests. Writing ASCII is optional because it doubles the
 * memory of long lists. Not thread-safe.
 */
public final class ImaListWriter {
  private final HashAlg templateHashAlg;
  private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
  private final StringBuilder ascii;
  private int entries;

  /**
   * @param templateHashAlg the template hash column's algorithm (SHA-1 for the classic files)
   * @param withAscii whether to render the ASCII export as well
   */
  public ImaListWriter(HashAlg templateHashAlg, boolean withAscii) {
    this.templateHashAlg = templateHashAlg;
    this.ascii = withAscii ? new StringBuilder() : null;
  }

  /** An {@code ima-ng} entry. */
  public ImaListWriter ng(int pcr, String fileAlg, byte[] fileDigest, String name) {
    return write(pcr, "ima-ng", field(digestNg(fileAlg, fileDigest)), field(string(name)));
  }

  /** An {@code ima-sig} entry; {@code sig} may be empty. */
  public ImaListWriter sig(int pcr, String fileAlg, byte[] fileDigest, String name, byte[] sig) {
    return write(
        pcr, "ima-sig", field(digestNg(fileAlg, fileDigest)), field(string(name)), field(sig));
  }

  /** An {@code ima-buf} entry whose digest is {@code fileAlg}'s hash of the buffer. */
  public ImaListWriter buf(int pcr, HashAlg fileAlg, String name, byte[] buffer) {
    byte[] d = digestNg(fileAlg.shortName(), fileAlg.digest(buffer));
    return write(pcr, "ima-buf", field(d), field(string(name)), field(buffer));
  }

  /** An {@code ima-cgpath} entry ({@code dep|cg-path|d-ng|n-ng}). */
  public ImaListWriter cgpath(
      int pcr, String dep, String cgPath, String fileAlg, byte[] fileDigest, String name) {
    return write(
        pcr,
        "ima-cgpath",
        field(string(dep)),
        field(string(cgPath)),
        field(digestNg(fileAlg, fileDigest)),
        field(string(name)));
  }

  /** An {@code ima-dep-cgn} entry ({@code dep|cgn|d-ng|n-ng}). */
  public ImaListWriter depCgn(
      int pcr, String dep, String cgn, String fileAlg, byte[] fileDigest, String name) {
    return write(
        pcr,
        "ima-dep-cgn",
        field(string(dep)),
        field(string(cgn)),
        field(digestNg(fileAlg, fileDigest)),
        field(string(name)));
  }

  /** An entry of the original {@code ima} template: a 20-byte digest and a name under 256 bytes. */
  public ImaListWriter legacy(int pcr, byte[] sha1Digest, String name) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    if (sha1Digest.length != 20 || n.length >= ImaTemplate.IMA_NAME_PADDED) {
      throw new IllegalArgumentException("ima template needs a 20-byte digest and a short name");
    }
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    data.writeBytes(sha1Digest);
    u32(data, n.length);
    data.writeBytes(n);
    return entry(pcr, "ima", data.toByteArray(), false);
  }

  /**
   * A violation as the kernel records it: an all-zero template hash and, for {@code ima-ng}, a
   * digest field of {@code fileAlg:} and twenty zero bytes.
   */
  public ImaListWriter violation(int pcr, String fileAlg, String name) {
    byte[] data = concat(field(digestNg(fileAlg, new byte[20])), field(string(name)));
    return entry(pcr, "ima-ng", data, true);
  }

  private ImaListWriter write(int pcr, String template, byte[]... fields) {
    return entry(pcr, template, concat(fields), false);
  }

  private ImaListWriter entry(int pcr, String template, byte[] data, boolean violation) {
    byte[] hash =
        violation
            ? new byte[templateHashAlg.size()]
            : templateHashAlg.digest(ImaHashing.hashedBytes(template, data));
    u32(binary, pcr);
    binary.writeBytes(hash);
    byte[] name = template.getBytes(StandardCharsets.US_ASCII);
    u32(binary, name.length);
    binary.writeBytes(name);
    if (!template.equals("ima")) {
      u32(binary, data.length);
    }
    binary.writeBytes(data);
    if (ascii != null) {
      try {
        String fields =
            ImaFields.toAscii(ImaTemplate.forName(template).orElseThrow(), data, "writer");
        ascii.append(String.format("%2d ", pcr)).append(Hex.encode(hash)).append(' ');
        ascii.append(template).append(' ').append(fields).append('\n');
      } catch (VerificationException e) {
        throw new IllegalStateException("writer produced unreadable template data", e);
      }
    }
    entries++;
    return this;
  }

  /** Number of entries written. */
  public int size() {
    return entries;
  }

  /** The binary export ({@code binary_runtime_measurements}). */
  public byte[] binary() {
    return binary.toByteArray();
  }

  /** The ASCII export ({@code ascii_runtime_measurements}). */
  public byte[] ascii() {
    if (ascii == null) {
      throw new IllegalStateException("writer was created without ASCII output");
    }
    return ascii.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] digestNg(String alg, byte[] digest) {
    byte[] a = (alg + ":").getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[a.length + 1 + digest.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(digest, 0, out, a.length + 1, digest.length);
    return out;
  }

  private static byte[] string(String s) {
    // the kernel replaces spaces so that ASCII fields stay separable
    byte[] b = s.replace(' ', '_').getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[b.length + 1];
    System.arraycopy(b, 0, out, 0, b.length);
    return out;
  }

  private static byte[] field(byte[] v) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(v.length + 4);
    u32(out, v.length);
    out.writeBytes(v);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static void u32(ByteArrayOutputStream out, int v) {
    out.write(v);
    out.write(v >>> 8);
    out.write(v >>> 16);
    out.write(v >>> 24);
  }
}
