package dev.vouch.evidence.tpm.ima;

import java.util.Optional;

/**
 * The template fields the kernel defines, with the way each one is printed in the ASCII list. The
 * ASCII form has to be turned back into the field bytes to check the template hash, so each field
 * says how.
 */
public enum ImaTemplateField {
  /** {@code d}: the file digest of the original {@code ima} template, at most 20 bytes. */
  D("d", Ascii.DIGEST, 0),
  /** {@code n}: the file name of the original {@code ima} template, at most 255 bytes. */
  N("n", Ascii.STRING, 0),
  /** {@code d-ng}: {@code <algo>:} NUL digest. */
  D_NG("d-ng", Ascii.DIGEST_WITH_ALGO, 0),
  /** {@code d-ngv2}: {@code <type>:<algo>:} NUL digest. */
  D_NGV2("d-ngv2", Ascii.DIGEST_WITH_ALGO, 0),
  /** {@code n-ng}: the file name, NUL-terminated, without length limit. */
  N_NG("n-ng", Ascii.STRING, 0),
  /** {@code sig}: the file's security.ima signature (or EVM portable signature), may be empty. */
  SIG("sig", Ascii.HEX, 0),
  /** {@code buf}: measured buffer (keys, kexec command line, critical data). */
  BUF("buf", Ascii.HEX, 0),
  /** {@code d-modsig}: the digest covered by an appended signature, may be empty. */
  D_MODSIG("d-modsig", Ascii.DIGEST_WITH_ALGO, 0),
  /** {@code modsig}: an appended (module-style) signature, may be empty. */
  MODSIG("modsig", Ascii.HEX, 0),
  /** {@code evmsig}: an EVM portable signature, may be empty. */
  EVMSIG("evmsig", Ascii.HEX, 0),
  /** {@code xattrnames}: names of EVM-protected xattrs, separated by {@code |}. */
  XATTRNAMES("xattrnames", Ascii.STRING, 0),
  /** {@code xattrlengths}: their lengths, as bytes. */
  XATTRLENGTHS("xattrlengths", Ascii.HEX, 0),
  /** {@code xattrvalues}: their values, as bytes. */
  XATTRVALUES("xattrvalues", Ascii.HEX, 0),
  /** {@code iuid}: inode owner, a 32-bit number printed in decimal. */
  IUID("iuid", Ascii.UINT, 4),
  /** {@code igid}: inode group, a 32-bit number printed in decimal. */
  IGID("igid", Ascii.UINT, 4),
  /** {@code imode}: inode mode, a 16-bit number printed in decimal. */
  IMODE("imode", Ascii.UINT, 2),
  /** {@code dep}: the chain of executables that led to the measurement, NUL-terminated. */
  DEP("dep", Ascii.STRING, 0),
  /** {@code cg-path}: the cgroup path of the measuring task, NUL-terminated. */
  CG_PATH("cg-path", Ascii.STRING, 0),
  /** {@code cgn}: the cgroup name of the measuring task, NUL-terminated. */
  CGN("cgn", Ascii.STRING, 0);

  /** How a field appears in the ASCII list. */
  enum Ascii {
    /** Lower-case hex of the bytes. */
    DIGEST,
    /** The text up to the NUL ({@code sha256:}), then hex of the rest. */
    DIGEST_WITH_ALGO,
    /** The text without its NUL terminator; the kernel replaced spaces by underscores. */
    STRING,
    /** Lower-case hex of the bytes. */
    HEX,
    /** A little-endian number printed in decimal. */
    UINT
  }

  private final String id;
  private final Ascii ascii;
  private final int uintSize;

  ImaTemplateField(String id, Ascii ascii, int uintSize) {
    this.id = id;
    this.ascii = ascii;
    this.uintSize = uintSize;
  }

  /** The field id used in template format strings, e.g. {@code d-ng}. */
  public String id() {
    return id;
  }

  Ascii ascii() {
    return ascii;
  }

  int uintSize() {
    return uintSize;
  }

  /** The field with this id, if the kernel defines it. */
  public static Optional<ImaTemplateField> fromId(String id) {
    for (ImaTemplateField f : values()) {
      if (f.id.equals(id)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }
}
