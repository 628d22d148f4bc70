package dev.vouch.evidence.tpm.ima;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;

/**
 * A parsed IMA runtime measurement list, ASCII ({@code ascii_runtime_measurements}) or binary
 * ({@code binary_runtime_measurements}), with every entry's template hash checked against its
 * template data.
 *
 * <p>Parsing throws {@link VerificationException} only: {@link Failure#TRUNCATED} or {@link
 * Failure#MALFORMED} for broken input, {@link Failure#UNSUPPORTED} for an ASCII line whose template
 * has fields this parser cannot rebuild, and {@link Failure#TEMPLATE_HASH_MISMATCH} (with the
 * 1-based line or entry number) when a recorded template hash is not the hash of the entry's data,
 * unless {@link HashCheck#RECORD} asks for the mismatches to be listed instead.
 *
 * <p>IMA appends to the list before it extends the register, so a quote may cover only a prefix of
 * the list: {@link #matchQuoted} finds that prefix. Instances are immutable.
 */
public final class ImaLog {
  /** What to do when a recorded template hash differs from the hash of the template data. */
  public enum HashCheck {
    /** Fail with {@link Failure#TEMPLATE_HASH_MISMATCH}; the default. */
    ENFORCE,
    /** Keep the entry and list its number in {@link #templateHashMismatches()}. */
    RECORD
  }

  /** The register IMA extends unless its policy names another. */
  public static final int IMA_PCR = 10;

  private final HashAlg templateHashAlg;
  private final List<ImaEntry> entries;
  private final List<Integer> mismatches;

  private ImaLog(HashAlg templateHashAlg, List<ImaEntry> entries, List<Integer> mismatches) {
    this.templateHashAlg = templateHashAlg;
    this.entries = List.copyOf(entries);
    this.mismatches = List.copyOf(mismatches);
  }

  /**
   * True when {@code bytes} look like an IMA list (ASCII, or binary with a plausible template name
   * in its first entry) rather than a firmware event log, for tools that detect the format.
   */
  public static boolean looksLikeImaList(byte[] bytes) {
    if (ImaFormat.looksAscii(bytes)) {
      return true;
    }
    try {
      ImaFormat.detectBinaryTemplateHash(bytes);
      return true;
    } catch (VerificationException e) {
      return false;
    }
  }

  /**
   * Where entry {@code entry} (0-based) of a binary list starts, found by reading only the length
   * fields: for serving the entries after a verifier's checkpoint without parsing the whole list.
   * Equals {@code list.length} when the list has exactly {@code entry} entries; empty when it has
   * fewer. Nothing is hashed or checked beyond the framing.
   *
   * @throws VerificationException TRUNCATED or MALFORMED when the entries before it cannot be
   *     framed
   */
  public static java.util.OptionalInt binaryOffsetOf(byte[] list, long entry)
      throws VerificationException {
    if (entry == 0) {
      return java.util.OptionalInt.of(0);
    }
    if (list.length == 0) {
      return java.util.OptionalInt.empty();
    }
    int hsize = ImaFormat.detectBinaryTemplateHash(list).size();
    dev.vouch.core.bytes.ByteReader r = dev.vouch.core.bytes.ByteReader.littleEndian(list);
    long n = 0;
    while (r.hasRemaining()) {
      r.u32(); // PCR
      r.skip(hsize);
      int nameLen = r.length32("template name");
      boolean legacy =
          nameLen == 3
              && list[r.position()] == 'i'
              && list[r.position() + 1] == 'm'
              && list[r.position() + 2] == 'a';
      r.skip(nameLen);
      if (legacy) {
        r.skip(20);
        r.skip(r.length32("ima template name"));
      } else {
        r.skip(r.length32("template data"));
      }
      if (++n == entry) {
        return java.util.OptionalInt.of(r.position());
      }
    }
    return java.util.OptionalInt.empty();
  }

  /** Parses either export, recognized by its first bytes; template hashes are enforced. */
  public static ImaLog parse(byte[] list) throws VerificationException {
    return parse(list, HashCheck.ENFORCE);
  }

  /** Parses either export, recognized by its first bytes. */
  public static ImaLog parse(byte[] list, HashCheck check) throws VerificationException {
    if (list.length == 0) {
      return new ImaLog(HashAlg.SHA1, List.of(), List.of());
    }
    return ImaFormat.looksAscii(list) ? parseAscii(list, check) : parseBinary(list, check);
  }

  /** Parses the ASCII export; template hashes are enforced. */
  public static ImaLog parseAscii(byte[] list) throws VerificationException {
    return parseAscii(list, HashCheck.ENFORCE);
  }

  /**
   * Parses the ASCII export: one line per entry, {@code PCR template-hash template-name fields},
   * each field rebuilt into the bytes the kernel hashed. The template hash algorithm follows from
   * the length of the hash column and must be the same on every line.
   */
  public static ImaLog parseAscii(byte[] list, HashCheck check) throws VerificationException {
    String text = new String(list, StandardCharsets.UTF_8);
    List<ImaEntry> entries = new ArrayList<>();
    List<Integer> mismatches = new ArrayList<>();
    HashAlg alg = null;
    // a 32-byte column is SHA-256 or SM3 until the first entry that is not a violation says
    boolean algSettled = false;
    int pos = 0;
    int line = 0;
    while (pos < text.length()) {
      line++;
      int nl = text.indexOf('\n', pos);
      if (nl < 0) {
        nl = text.length();
      }
      String l = text.substring(pos, nl);
      pos = nl + 1;
      String where = "line " + line + ":";
      // "%2d " pads one-digit registers with a leading space
      int i = 0;
      while (i < l.length() && i < 2 && l.charAt(i) == ' ') {
        i++;
      }
      int sp1 = l.indexOf(' ', i);
      if (sp1 < 0) {
        throw ImaFields.malformed(where, "is not 'PCR template-hash template-name fields'");
      }
      int pcr = pcrNumber(l.substring(i, sp1), where);
      int sp2 = l.indexOf(' ', sp1 + 1);
      if (sp2 < 0) {
        throw ImaFields.malformed(where, "has no template name");
      }
      String hashHex = l.substring(sp1 + 1, sp2);
      HashAlg lineAlg = ImaFormat.templateHashForHexLength(hashHex.length(), line);
      if (alg == null) {
        alg = lineAlg;
      } else if (alg.size() != lineAlg.size()) {
        throw ImaFields.malformed(where, "template hash length differs from the first line");
      }
      byte[] templateHash = ImaFields.hex(hashHex, where);
      int sp3 = l.indexOf(' ', sp2 + 1);
      String name = l.substring(sp2 + 1, sp3 < 0 ? l.length() : sp3);
      if (name.isEmpty()
          || name.length() > ImaTemplate.MAX_NAME_LENGTH
          || !ImaFormat.printableName(name.getBytes(StandardCharsets.UTF_8), 0, name.length())) {
        throw ImaFields.malformed(where, "has an invalid template name");
      }
      Optional<ImaTemplate> template = ImaTemplate.forName(name);
      if (template.isEmpty()) {
        throw new VerificationException(
            Failure.UNSUPPORTED,
            where + " template '" + ImaFields.abbreviate(name) + "' has unknown fields");
      }
      if (sp3 < 0) {
        throw ImaFields.malformed(where, "has no template fields");
      }
      byte[] data = ImaFields.fromAscii(template.get(), l.substring(sp3 + 1), where);
      entries.add(entry(pcr, templateHash, template.get(), name, data, where));
      if (!algSettled && !entries.getLast().violation()) {
        algSettled = true;
        if (alg.size() == 32) {
          alg = ImaFormat.resolve32(entries.getLast().hashedBytes(), templateHash);
        }
      }
      if (!hashMatches(entries.getLast(), alg)) {
        if (check == HashCheck.ENFORCE) {
          throw mismatch(where, templateHash, alg);
        }
        mismatches.add(line);
      }
    }
    return new ImaLog(alg == null ? HashAlg.SHA1 : alg, entries, mismatches);
  }

  /** Parses the binary export with the template hash size detected; hashes are enforced. */
  public static ImaLog parseBinary(byte[] list) throws VerificationException {
    return parseBinary(list, HashCheck.ENFORCE);
  }

  /** Parses the binary export, detecting the template hash size from the first entry. */
  public static ImaLog parseBinary(byte[] list, HashCheck check) throws VerificationException {
    if (list.length == 0) {
      return new ImaLog(HashAlg.SHA1, List.of(), List.of());
    }
    return parseBinary(list, ImaFormat.detectBinaryTemplateHash(list), check);
  }

  /**
   * Parses the binary export: per entry a little-endian u32 PCR, the template hash ({@code
   * templateHashAlg}'s size), a u32 template name length, the name, then for all templates but
   * {@code ima} a u32 template data length and the data.
   */
  public static ImaLog parseBinary(byte[] list, HashAlg templateHashAlg, HashCheck check)
      throws VerificationException {
    ByteReader r = ByteReader.littleEndian(list);
    List<ImaEntry> entries = new ArrayList<>();
    List<Integer> mismatches = new ArrayList<>();
    int n = 0;
    while (r.hasRemaining()) {
      n++;
      String where = "entry " + n + " (offset " + r.position() + "):";
      long pcr = r.u32();
      if (pcr > Integer.MAX_VALUE) {
        throw ImaFields.malformed(where, "has PCR index " + pcr);
      }
      byte[] templateHash = r.bytes(templateHashAlg.size());
      int nameLen = r.length32("template name");
      if (nameLen < 1 || nameLen > ImaTemplate.MAX_NAME_LENGTH) {
        throw ImaFields.malformed(where, "has a template name of " + nameLen + " bytes");
      }
      byte[] nameBytes = r.bytes(nameLen);
      if (!ImaFormat.printableName(nameBytes, 0, nameLen)) {
        throw ImaFields.malformed(where, "has a template name that is not printable ASCII");
      }
      String name = new String(nameBytes, StandardCharsets.US_ASCII);
      byte[] data;
      if (name.equals("ima")) {
        int start = r.position();
        r.skip(20);
        r.skip(r.length32("ima template name"));
        data = r.consumedSince(start);
      } else {
        data = r.bytes(r.length32("template data"));
      }
      Optional<ImaTemplate> template = ImaTemplate.forName(name);
      ImaEntry e = entry((int) pcr, templateHash, template.orElse(null), name, data, where);
      entries.add(e);
      if (!hashMatches(e, templateHashAlg)) {
        if (check == HashCheck.ENFORCE) {
          throw mismatch(where, templateHash, templateHashAlg);
        }
        mismatches.add(n);
      }
    }
    return new ImaLog(templateHashAlg, entries, mismatches);
  }

  private static ImaEntry entry(
      int pcr, byte[] templateHash, ImaTemplate template, String name, byte[] data, String where)
      throws VerificationException {
    ImaFields.Decoded d =
        template == null ? ImaFields.Decoded.NONE : ImaFields.decode(template, data, where);
    boolean violation = ImaHashing.allZero(templateHash, 0, templateHash.length);
    return new ImaEntry(
        pcr,
        templateHash,
        name,
        data,
        d.fileDigest(),
        d.fileName(),
        d.signature(),
        d.buffer(),
        violation);
  }

  private static boolean hashMatches(ImaEntry e, HashAlg alg) {
    if (e.violation()) {
      return true;
    }
    return Crypto.constantTimeEquals(alg.digest(e.hashedBytes()), e.templateHash());
  }

  private static VerificationException mismatch(String where, byte[] logged, HashAlg alg) {
    return new VerificationException(
        Failure.TEMPLATE_HASH_MISMATCH,
        where
            + " template hash "
            + Hex.encode(logged)
            + " is not the "
            + alg.shortName()
            + " of the template data");
  }

  private static int pcrNumber(String s, String where) throws VerificationException {
    if (s.isEmpty() || s.length() > 9) {
      throw ImaFields.malformed(where, "has no PCR number");
    }
    int v = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        throw ImaFields.malformed(where, "has no PCR number");
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /** The entries, in list order. */
  public List<ImaEntry> entries() {
    return entries;
  }

  public int size() {
    return entries.size();
  }

  /**
   * The algorithm of the template hash column: SHA-1 except in per-bank exports and on kernels
   * hashing templates with another algorithm (SHA-256, SM3, or SHA-384 on a TD guest's RTMR).
   */
  public HashAlg templateHashAlg() {
    return templateHashAlg;
  }

  /** 1-based numbers of entries whose template hash did not match (only with RECORD). */
  public List<Integer> templateHashMismatches() {
    return mismatches;
  }

  /** Number of violation entries (all-zero template hash). */
  public int violations() {
    int v = 0;
    for (ImaEntry e : entries) {
      if (e.violation()) {
        v++;
      }
    }
    return v;
  }

  /** Number of entries whose template hash was checked and matched. */
  public int templateHashesVerified() {
    return entries.size() - violations() - mismatches.size();
  }

  /** The first {@code n} entries as a list of their own. */
  public ImaLog prefix(int n) {
    if (n < 0 || n > entries.size()) {
      throw new IndexOutOfBoundsException("prefix " + n + " of " + entries.size());
    }
    List<Integer> m = new ArrayList<>();
    for (int i : mismatches) {
      if (i <= n) {
        m.add(i);
      }
    }
    return new ImaLog(templateHashAlg, entries.subList(0, n), m);
  }

  /** Replays every entry into each of {@code banks}; registers start at zero. */
  public PcrValues replay(Set<HashAlg> banks, ImaReplayMode mode) {
    Map<HashAlg, TreeMap<Integer, byte[]>> regs = new EnumMap<>(HashAlg.class);
    for (HashAlg bank : banks) {
      regs.put(bank, new TreeMap<>());
    }
    for (ImaEntry e : entries) {
      for (HashAlg bank : banks) {
        byte[] cur = regs.get(bank).computeIfAbsent(e.pcr(), k -> new byte[bank.size()]);
        regs.get(bank).put(e.pcr(), PcrValues.extend(bank, cur, extendDigest(e, bank, mode)));
      }
    }
    PcrValues.Builder b = PcrValues.builder();
    regs.forEach((bank, m) -> m.forEach((i, v) -> b.put(bank, i, v)));
    return b.build();
  }

  /** What the kernel extended into {@code bank} for entry {@code e}. */
  byte[] extendDigest(ImaEntry e, HashAlg bank, ImaReplayMode mode) {
    if (e.violation()) {
      return ImaHashing.violationDigest(bank, mode);
    }
    if (mode == ImaReplayMode.OLD_KERNEL) {
      byte[] sha1 =
          templateHashAlg == HashAlg.SHA1 ? e.templateHash() : HashAlg.SHA1.digest(e.hashedBytes());
      return ImaHashing.padded(sha1, bank);
    }
    return bank == templateHashAlg ? e.templateHash() : bank.digest(e.hashedBytes());
  }

  /**
   * The length of the longest prefix of the list whose replay of {@code pcr} in {@code bank} equals
   * {@code quoted}: the whole list first, then ever shorter prefixes, down to the empty one (a
   * register still at zero). Entries extended into other registers count towards the prefix length
   * but do not change {@code pcr}. Empty when no prefix matches.
   */
  public OptionalInt matchQuoted(HashAlg bank, int pcr, byte[] quoted, ImaReplayMode mode) {
    return matchQuoted(bank, pcr, new byte[bank.size()], quoted, mode);
  }

  /**
   * The same, replaying from {@code start} instead of the register's reset value: for a list that
   * continues entries already verified up to that value ({@link ImaCheckpoint}).
   */
  public OptionalInt matchQuoted(
      HashAlg bank, int pcr, byte[] start, byte[] quoted, ImaReplayMode mode) {
    if (quoted.length != bank.size() || start.length != bank.size()) {
      return OptionalInt.empty();
    }
    // One forward pass keeps the last prefix that matched, which is the longest.
    byte[] cur = start.clone();
    int best = Arrays.equals(cur, quoted) ? 0 : -1;
    for (int i = 0; i < entries.size(); i++) {
      ImaEntry e = entries.get(i);
      if (e.pcr() != pcr) {
        if (best == i) {
          best = i + 1;
        }
        continue;
      }
      cur = PcrValues.extend(bank, cur, extendDigest(e, bank, mode));
      if (Crypto.constantTimeEquals(cur, quoted)) {
        best = i + 1;
      }
    }
    return best < 0 ? OptionalInt.empty() : OptionalInt.of(best);
  }

  /** {@link #matchQuoted(HashAlg, int, byte[], ImaReplayMode)} for PCR 10. */
  public OptionalInt matchQuoted(HashAlg bank, byte[] quotedPcr10, ImaReplayMode mode) {
    return matchQuoted(bank, IMA_PCR, quotedPcr10, mode);
  }

  /**
   * The matched prefix length, or {@link Failure#EVENT_LOG_MISMATCH} when no prefix of the list
   * replays to the quoted value.
   */
  public int requireQuotedPrefix(HashAlg bank, int pcr, byte[] quoted, ImaReplayMode mode)
      throws VerificationException {
    OptionalInt m = matchQuoted(bank, pcr, quoted, mode);
    if (m.isEmpty()) {
      throw new VerificationException(
          Failure.EVENT_LOG_MISMATCH,
          "no prefix of the IMA list ("
              + entries.size()
              + " entries) replays to the quoted "
              + bank.shortName()
              + " PCR "
              + pcr
              + " "
              + Hex.encode(quoted));
    }
    return m.getAsInt();
  }

  /** The list in the kernel's binary export form, with this list's template hash size. */
  public byte[] toBinary() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ImaEntry e : entries) {
      writeEntry(out, e.pcr(), e.templateHash(), e.templateName(), e.templateData());
    }
    return out.toByteArray();
  }

  /**
   * Appends one entry in the kernel's binary form (the legacy {@code ima} template has no data
   * length), for callers that hold entries that are not yet a list.
   */
  public static void writeEntry(
      ByteArrayOutputStream out,
      int pcr,
      byte[] templateHash,
      String templateName,
      byte[] templateData) {
    writeU32(out, pcr);
    out.writeBytes(templateHash);
    byte[] name = templateName.getBytes(StandardCharsets.US_ASCII);
    writeU32(out, name.length);
    out.writeBytes(name);
    if (!templateName.equals("ima")) {
      writeU32(out, templateData.length);
    }
    out.writeBytes(templateData);
  }

  private static void writeU32(ByteArrayOutputStream out, int v) {
    out.write(v);
    out.write(v >>> 8);
    out.write(v >>> 16);
    out.write(v >>> 24);
  }
}
