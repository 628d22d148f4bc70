package dev.vouch.evidence.tpm.ima;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tdx.TdRegister;
import dev.vouch.evidence.tpm.PcrValues;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Replays an IMA list without building entry objects: the path for lists of hundreds of thousands
 * of entries. Each entry's template hash is checked against its data and each requested bank is
 * extended, reusing one digest object and one scratch buffer per bank, so the work per entry
 * allocates nothing. The result equals {@link ImaLog#replay} on the same list.
 *
 * <p>Throws only {@link VerificationException}: {@link Failure#TRUNCATED}/{@link Failure#MALFORMED}
 * for a broken list, {@link Failure#TEMPLATE_HASH_MISMATCH} naming the entry and its offset.
 */
public final class ImaReplay {
  private ImaReplay() {}

  /**
   * The replayed registers and what the list held.
   *
   * @param pcrs register values per requested bank, for every register the list extends
   * @param entries number of entries
   * @param violations number of violation entries
   * @param templateHashAlg the algorithm of the list's template hash column
   */
  public record Result(PcrValues pcrs, int entries, int violations, HashAlg templateHashAlg) {
    /**
     * The TD guest registers the list extended, when its template hash is SHA-384 (IMA extending an
     * RTMR): each register column mapped through {@link TdRegister#forImaColumn}, valued from the
     * SHA-384 bank. Empty for other lists, when the SHA-384 bank was not replayed, or for a
     * register that two columns map to (the split replay would not be that register's value).
     */
    public Map<TdRegister, byte[]> tdRegisters() {
      Map<TdRegister, byte[]> out = new EnumMap<>(TdRegister.class);
      if (templateHashAlg != HashAlg.SHA384 || !pcrs.banks().contains(HashAlg.SHA384)) {
        return out;
      }
      Set<TdRegister> shared = EnumSet.noneOf(TdRegister.class);
      for (int column : pcrs.indexes(HashAlg.SHA384)) {
        Optional<TdRegister> reg = TdRegister.forImaColumn(column);
        if (reg.isEmpty() || reg.get().rtmrIndex().isEmpty()) {
          continue;
        }
        if (out.containsKey(reg.get())) {
          shared.add(reg.get());
        }
        out.put(reg.get(), pcrs.get(HashAlg.SHA384, column).orElseThrow());
      }
      shared.forEach(out::remove);
      return out;
    }
  }

  /**
   * The banks replayed when the caller names none: SHA-1 and SHA-256, which TPMs carry, and the
   * list's own template hash algorithm, so a SHA-384 list (an RTMR) or an SM3 list replays the
   * register it was written for without the caller knowing its algorithm first.
   */
  public static Set<HashAlg> defaultBanks(HashAlg templateHashAlg) {
    return EnumSet.of(HashAlg.SHA1, HashAlg.SHA256, templateHashAlg);
  }

  /** Replays either export into {@link #defaultBanks} of the list's template hash algorithm. */
  public static Result replayDefaultBanks(byte[] list, ImaReplayMode mode)
      throws VerificationException {
    if (list.length > 0 && ImaFormat.looksAscii(list)) {
      ImaLog log = ImaLog.parseAscii(list);
      return new Result(
          log.replay(defaultBanks(log.templateHashAlg()), mode),
          log.size(),
          log.violations(),
          log.templateHashAlg());
    }
    HashAlg alg = list.length == 0 ? HashAlg.SHA1 : ImaFormat.detectBinaryTemplateHash(list);
    return replayBinary(list, alg, defaultBanks(alg), mode);
  }

  /** Replays either export; binary lists take the streaming path, ASCII lists go via ImaLog. */
  public static Result replay(byte[] list, Set<HashAlg> banks, ImaReplayMode mode)
      throws VerificationException {
    if (list.length > 0 && ImaFormat.looksAscii(list)) {
      ImaLog log = ImaLog.parseAscii(list);
      return new Result(
          log.replay(banks, mode), log.size(), log.violations(), log.templateHashAlg());
    }
    return replayBinary(list, banks, mode);
  }

  /** Reads a file and replays it with {@link #replay(byte[], Set, ImaReplayMode)}. */
  public static Result replay(Path file, Set<HashAlg> banks, ImaReplayMode mode)
      throws IOException, VerificationException {
    return replay(Files.readAllBytes(file), banks, mode);
  }

  /** Replays a binary list whose template hash size is detected from the first entry. */
  public static Result replayBinary(byte[] list, Set<HashAlg> banks, ImaReplayMode mode)
      throws VerificationException {
    HashAlg alg = list.length == 0 ? HashAlg.SHA1 : ImaFormat.detectBinaryTemplateHash(list);
    return replayBinary(list, alg, banks, mode);
  }

  /** Replays a binary list with the given template hash algorithm. */
  public static Result replayBinary(
      byte[] list, HashAlg templateHashAlg, Set<HashAlg> banks, ImaReplayMode mode)
      throws VerificationException {
    try {
      return new Streaming(list, templateHashAlg, banks, mode).run();
    } catch (DigestException e) {
      // digest(buf, off, len) into buffers sized for the algorithm cannot fail
      throw new IllegalStateException(e);
    }
  }

  /** Per-bank state: its digest object, the extend input and the registers it holds. */
  private static final class Bank {
    final HashAlg alg;
    final int size;
    final MessageDigest md;
    final byte[] extendInput;
    final byte[] violation;
    int[] pcrIndex = new int[1];
    byte[][] registers = new byte[1][];
    int count;

    Bank(HashAlg alg, ImaReplayMode mode) {
      this.alg = alg;
      this.size = alg.size();
      this.md = alg.newDigest();
      this.extendInput = new byte[size];
      this.violation = ImaHashing.violationDigest(alg, mode);
    }

    /**
     * The register for {@code pcr}; lists extend one register almost always, so search is short.
     */
    byte[] register(int pcr) {
      for (int i = 0; i < count; i++) {
        if (pcrIndex[i] == pcr) {
          return registers[i];
        }
      }
      if (count == pcrIndex.length) {
        pcrIndex = Arrays.copyOf(pcrIndex, count * 2);
        registers = Arrays.copyOf(registers, count * 2);
      }
      pcrIndex[count] = pcr;
      registers[count] = new byte[size];
      return registers[count++];
    }

    void extend(int pcr, byte[] digest) throws DigestException {
      byte[] reg = register(pcr);
      md.update(reg, 0, size);
      md.update(digest, 0, size);
      md.digest(reg, 0, size);
    }
  }

  private static final class Streaming {
    private final byte[] buf;
    private final HashAlg templateHashAlg;
    private final ImaReplayMode mode;
    private final Bank[] banks;
    private final MessageDigest check;
    private final MessageDigest sha1;
    private final byte[] computed;
    private final byte[] sha1Scratch = new byte[20];
    private final byte[] zeros = new byte[ImaTemplate.IMA_NAME_PADDED];
    // the last template name seen and its field count, so names are not decoded per entry
    private byte[] lastName = new byte[0];
    private int lastFieldCount = -1;

    Streaming(byte[] buf, HashAlg templateHashAlg, Set<HashAlg> bankAlgs, ImaReplayMode mode) {
      this.buf = buf;
      this.templateHashAlg = templateHashAlg;
      this.mode = mode;
      EnumSet<HashAlg> sorted =
          bankAlgs.isEmpty() ? EnumSet.noneOf(HashAlg.class) : EnumSet.copyOf(bankAlgs);
      this.banks = sorted.stream().map(a -> new Bank(a, mode)).toArray(Bank[]::new);
      this.check = templateHashAlg.newDigest();
      this.sha1 = HashAlg.SHA1.newDigest();
      this.computed = new byte[templateHashAlg.size()];
    }

    Result run() throws VerificationException, DigestException {
      ByteReader r = ByteReader.littleEndian(buf);
      int hsize = templateHashAlg.size();
      int entries = 0;
      int violations = 0;
      while (r.hasRemaining()) {
        entries++;
        int entryOffset = r.position();
        long pcrLong = r.u32();
        if (pcrLong > Integer.MAX_VALUE) {
          throw malformed(entries, entryOffset, "has PCR index " + pcrLong);
        }
        int pcr = (int) pcrLong;
        int hashOff = r.position();
        r.skip(hsize);
        int nameLen = r.length32("template name");
        int nameOff = r.position();
        if (nameLen < 1 || nameLen > ImaTemplate.MAX_NAME_LENGTH) {
          throw malformed(entries, entryOffset, "has a template name of " + nameLen + " bytes");
        }
        r.skip(nameLen);
        boolean legacy =
            nameLen == 3
                && buf[nameOff] == 'i'
                && buf[nameOff + 1] == 'm'
                && buf[nameOff + 2] == 'a';
        int dataOff;
        int dataLen;
        if (legacy) {
          dataOff = r.position();
          r.skip(20);
          int n = r.length32("ima template name");
          if (n >= ImaTemplate.IMA_NAME_PADDED) {
            throw malformed(entries, entryOffset, "has an ima template name over 255 bytes");
          }
          r.skip(n);
          dataLen = r.position() - dataOff;
        } else {
          dataLen = r.length32("template data");
          dataOff = r.position();
          checkFields(r, nameOff, nameLen, dataOff + dataLen, entries, entryOffset);
        }

        boolean violation = ImaHashing.allZero(buf, hashOff, hsize);
        if (violation) {
          violations++;
        } else {
          ImaHashing.updateHashed(check, legacy, buf, dataOff, dataLen, zeros);
          check.digest(computed, 0, hsize);
          if (!Arrays.equals(computed, 0, hsize, buf, hashOff, hashOff + hsize)) {
            throw new VerificationException(
                Failure.TEMPLATE_HASH_MISMATCH,
                "entry "
                    + entries
                    + " (offset "
                    + entryOffset
                    + "): template hash "
                    + Hex.encode(Arrays.copyOfRange(buf, hashOff, hashOff + hsize))
                    + " is not the "
                    + templateHashAlg.shortName()
                    + " of the template data");
          }
        }
        for (Bank b : banks) {
          b.extend(pcr, digestFor(b, violation, legacy, dataOff, dataLen));
        }
      }
      PcrValues.Builder out = PcrValues.builder();
      for (Bank b : banks) {
        for (int i = 0; i < b.count; i++) {
          out.put(b.alg, b.pcrIndex[i], b.registers[i]);
        }
      }
      return new Result(out.build(), entries, violations, templateHashAlg);
    }

    private byte[] digestFor(Bank b, boolean violation, boolean legacy, int dataOff, int dataLen)
        throws DigestException {
      if (violation) {
        return b.violation;
      }
      if (mode == ImaReplayMode.OLD_KERNEL) {
        byte[] s1 = computed;
        if (templateHashAlg != HashAlg.SHA1) {
          ImaHashing.updateHashed(sha1, legacy, buf, dataOff, dataLen, zeros);
          sha1.digest(sha1Scratch, 0, 20);
          s1 = sha1Scratch;
        }
        int n = Math.min(20, b.size);
        System.arraycopy(s1, 0, b.extendInput, 0, n);
        Arrays.fill(b.extendInput, n, b.size, (byte) 0);
        return b.extendInput;
      }
      if (b.alg == templateHashAlg) {
        return computed;
      }
      ImaHashing.updateHashed(b.md, legacy, buf, dataOff, dataLen, zeros);
      b.md.digest(b.extendInput, 0, b.size);
      return b.extendInput;
    }

    /**
     * For built-in and custom templates whose fields are known, the template data must consist of
     * exactly that many length-prefixed fields, as {@link ImaLog} requires.
     */
    private void checkFields(
        ByteReader r, int nameOff, int nameLen, int dataEnd, int entry, int entryOffset)
        throws VerificationException {
      if (!Arrays.equals(lastName, 0, lastName.length, buf, nameOff, nameOff + nameLen)) {
        if (!ImaFormat.printableName(buf, nameOff, nameLen)) {
          throw malformed(entry, entryOffset, "has a template name that is not printable ASCII");
        }
        lastName = Arrays.copyOfRange(buf, nameOff, nameOff + nameLen);
        lastFieldCount =
            ImaTemplate.forName(new String(lastName, java.nio.charset.StandardCharsets.US_ASCII))
                .map(t -> t.fields().size())
                .orElse(-1);
      }
      if (lastFieldCount < 0) {
        r.skip(dataEnd - r.position());
        return;
      }
      for (int i = 0; i < lastFieldCount; i++) {
        if (dataEnd - r.position() < 4) {
          throw malformed(entry, entryOffset, "template data ends before field " + (i + 1));
        }
        r.skip(r.length32("template field"));
      }
      if (r.position() != dataEnd) {
        throw malformed(entry, entryOffset, "template data does not hold exactly its fields");
      }
    }

    private static VerificationException malformed(int entry, int offset, String what) {
      return new VerificationException(
          Failure.MALFORMED, "entry " + entry + " (offset " + offset + "): " + what);
    }
  }
}
