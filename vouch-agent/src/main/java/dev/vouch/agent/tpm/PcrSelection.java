package dev.vouch.agent.tpm;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.crypto.HashAlg;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The PCRs selected in one bank (TPMS_PCR_SELECTION).
 *
 * @param bank the hash algorithm of the bank
 * @param pcrs selected register indexes, ascending
 */
public record PcrSelection(HashAlg bank, SortedSet<Integer> pcrs) {
  /** The highest PCR index a selection may name (a 32-byte select bitmap). */
  public static final int MAX_PCR = 255;

  /** Hash banks a TPM can have at most (HASH_COUNT bound used when reading lists). */
  private static final int MAX_BANKS = 16;

  public PcrSelection {
    TreeSet<Integer> copy = new TreeSet<>(pcrs);
    if (!copy.isEmpty() && (copy.first() < 0 || copy.last() > MAX_PCR)) {
      throw new IllegalArgumentException("PCR index out of range in " + copy);
    }
    pcrs = Collections.unmodifiableSortedSet(copy);
  }

  /** A selection of the given registers. */
  public static PcrSelection of(HashAlg bank, Integer... pcrs) {
    return new PcrSelection(bank, new TreeSet<>(List.of(pcrs)));
  }

  /** A selection of registers {@code from..to} inclusive. */
  public static PcrSelection range(HashAlg bank, int from, int to) {
    TreeSet<Integer> s = new TreeSet<>();
    for (int i = from; i <= to; i++) {
      s.add(i);
    }
    return new PcrSelection(bank, s);
  }

  /** The pcrSelect bitmap: at least 3 bytes, as TPMs expect for 24 PCRs. */
  public byte[] bitmap() {
    int size = Math.max(3, pcrs.isEmpty() ? 0 : pcrs.last() / 8 + 1);
    byte[] map = new byte[size];
    for (int p : pcrs) {
      map[p / 8] |= (byte) (1 << (p % 8));
    }
    return map;
  }

  void writeTo(TpmWriter w) {
    byte[] map = bitmap();
    w.u16(bank.tpmId()).u8(map.length).bytes(map);
  }

  /** Marshals a TPML_PCR_SELECTION. */
  static void writeList(TpmWriter w, List<PcrSelection> selections) {
    w.u32(selections.size());
    for (PcrSelection s : selections) {
      s.writeTo(w);
    }
  }

  /** One TPML_PCR_SELECTION entry as raw algorithm id and register set. */
  record Raw(int algId, SortedSet<Integer> pcrs) {}

  /** Reads a TPML_PCR_SELECTION, keeping unknown hash algorithms as raw ids. */
  static List<Raw> readList(ByteReader r) throws VerificationException {
    long count = r.u32();
    if (count > MAX_BANKS) {
      throw new VerificationException(
          Failure.MALFORMED, "TPML_PCR_SELECTION lists " + count + " banks");
    }
    List<Raw> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int alg = r.u16();
      int size = r.u8();
      byte[] map = r.bytes(size);
      TreeSet<Integer> pcrs = new TreeSet<>();
      for (int b = 0; b < map.length; b++) {
        for (int bit = 0; bit < 8; bit++) {
          if ((map[b] & (1 << bit)) != 0) {
            pcrs.add(b * 8 + bit);
          }
        }
      }
      out.add(new Raw(alg, pcrs));
    }
    return out;
  }
}
