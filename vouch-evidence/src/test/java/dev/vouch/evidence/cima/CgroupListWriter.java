package dev.vouch.evidence.cima;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Writes IMA lists of the cgroup-aware templates for tests, independently of the production parser
 * and writer: the field layout is the ({@code u32 LE length | bytes}, strings
 * NUL-terminated, {@code d-ng = alg: NUL digest}), hashed with the JDK's digests.
 */
public final class CgroupListWriter {
  /** One written entry: its register column, template hash and cgroup string. */
  public record Written(int pcr, byte[] templateHash, String cgroup) {}

  private final String jcaAlg;
  private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
  private final StringBuilder ascii = new StringBuilder();
  private final List<Written> written = new ArrayList<>();

  /** {@code jcaAlg} is the template hash algorithm: {@code SHA-1}, {@code SHA-256}, ... */
  public CgroupListWriter(String jcaAlg) {
    this.jcaAlg = jcaAlg;
  }

  /** An {@code ima-cgpath} entry of PCR 10 for a file with a SHA-256 file digest. */
  public CgroupListWriter cgpath(String dep, String cgPath, String file) {
    return entry(10, "ima-cgpath", dep, cgPath, file, false);
  }

  /** An {@code ima-dep-cgn} entry of PCR 10. */
  public CgroupListWriter depCgn(String dep, String cgn, String file) {
    return entry(10, "ima-dep-cgn", dep, cgn, file, false);
  }

  /** An {@code ima-cgpath} violation: all-zero template hash and file digest. */
  public CgroupListWriter violation(String dep, String cgPath, String file) {
    return entry(10, "ima-cgpath", dep, cgPath, file, true);
  }

  /** An {@code ima-ng} entry (no cgroup field), e.g. the boot aggregate. */
  public CgroupListWriter ng(String file) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(file.getBytes(StandardCharsets.UTF_8));
      byte[] data = concat(field(dng(digest)), field(str(file)));
      byte[] th = MessageDigest.getInstance(jcaAlg).digest(data);
      append(10, th, "ima-ng", data);
      ascii
          .append("10 ")
          .append(hex(th))
          .append(" ima-ng sha256:")
          .append(hex(digest))
          .append(' ')
          .append(file)
          .append('\n');
      written.add(new Written(10, th, null));
      return this;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private CgroupListWriter entry(
      int pcr, String template, String dep, String cg, String file, boolean violation) {
    try {
      byte[] digest =
          violation
              ? new byte[32]
              : MessageDigest.getInstance("SHA-256")
                  .digest((cg + file).getBytes(StandardCharsets.UTF_8));
      byte[] data = concat(field(str(dep)), field(str(cg)), field(dng(digest)), field(str(file)));
      byte[] th =
          violation
              ? new byte[MessageDigest.getInstance(jcaAlg).getDigestLength()]
              : MessageDigest.getInstance(jcaAlg).digest(data);
      append(pcr, th, template, data);
      ascii
          .append(pcr)
          .append(' ')
          .append(hex(th))
          .append(' ')
          .append(template)
          .append(' ')
          .append(dep)
          .append(' ')
          .append(cg)
          .append(" sha256:")
          .append(hex(digest))
          .append(' ')
          .append(file)
          .append('\n');
      written.add(new Written(pcr, th, cg));
      return this;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public byte[] binary() {
    return binary.toByteArray();
  }

  public byte[] ascii() {
    return ascii.toString().getBytes(StandardCharsets.UTF_8);
  }

  public List<Written> written() {
    return List.copyOf(written);
  }

  private void append(int pcr, byte[] th, String template, byte[] data) {
    u32(binary, pcr);
    binary.writeBytes(th);
    byte[] name = template.getBytes(StandardCharsets.US_ASCII);
    u32(binary, name.length);
    binary.writeBytes(name);
    u32(binary, data.length);
    binary.writeBytes(data);
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  private static byte[] dng(byte[] digest) {
    return concat("sha256:".getBytes(StandardCharsets.US_ASCII), new byte[] {0}, digest);
  }

  private static byte[] str(String s) {
    return concat(s.getBytes(StandardCharsets.UTF_8), new byte[] {0});
  }

  private static byte[] field(byte[] v) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
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
