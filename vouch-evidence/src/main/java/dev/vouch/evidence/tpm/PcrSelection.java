package dev.vouch.evidence.tpm;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.crypto.HashAlg;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * A TPML_PCR_SELECTION: which registers of which banks a quote covers. Banks keep the order of the
 * structure, because the quoted digest concatenates the registers in exactly that order (banks in
 * list order, registers ascending within a bank).
 *
 * @param banks the selected banks in structure order
 */
public record PcrSelection(List<Bank> banks) {

  /** The most banks a TPM reports (tpm2-tools' TPM2_NUM_PCR_BANKS); more is malformed. */
  static final int MAX_BANKS = 16;

  public PcrSelection {
    banks = List.copyOf(banks);
  }

  /**
   * One TPMS_PCR_SELECTION.
   *
   * @param hash the bank
   * @param selectSize the number of bitmap bytes in the structure ({@code sizeofSelect})
   * @param pcrs selected register indexes, ascending
   */
  public record Bank(HashAlg hash, int selectSize, List<Integer> pcrs) {
    public Bank {
      pcrs = List.copyOf(pcrs);
      for (int i = 1; i < pcrs.size(); i++) {
        if (pcrs.get(i) <= pcrs.get(i - 1)) {
          throw new IllegalArgumentException("PCR indexes must be ascending and distinct");
        }
      }
      if (!pcrs.isEmpty() && pcrs.get(pcrs.size() - 1) >= selectSize * 8) {
        throw new IllegalArgumentException("PCR index beyond the select size " + selectSize);
      }
    }
  }

  /** A single-bank selection with the usual 3-byte bitmap (PCR 0..23). */
  public static PcrSelection of(HashAlg hash, int... pcrs) {
    List<Integer> list = new ArrayList<>();
    java.util.Arrays.stream(pcrs).sorted().distinct().forEach(list::add);
    int max = list.isEmpty() ? 0 : list.get(list.size() - 1);
    return new PcrSelection(List.of(new Bank(hash, Math.max(3, max / 8 + 1), list)));
  }

  /** Parses a complete TPML_PCR_SELECTION. */
  public static PcrSelection parse(byte[] bytes) throws VerificationException {
    return Marshal.exactly(bytes, "TPML_PCR_SELECTION", PcrSelection::read);
  }

  /** Reads a TPML_PCR_SELECTION from a big-endian reader. */
  public static PcrSelection read(ByteReader r) throws VerificationException {
    long count = r.u32();
    if (count > MAX_BANKS) {
      throw new VerificationException(
          Failure.MALFORMED, "TPML_PCR_SELECTION: " + count + " banks, at most " + MAX_BANKS);
    }
    List<Bank> banks = new ArrayList<>((int) count);
    for (int b = 0; b < count; b++) {
      HashAlg hash = Marshal.hash(r, "TPMS_PCR_SELECTION");
      int size = r.u8();
      banks.add(new Bank(hash, size, bitmapIndexes(r, size)));
    }
    return new PcrSelection(banks);
  }

  static List<Integer> bitmapIndexes(ByteReader r, int size) throws VerificationException {
    byte[] mask = r.bytes(size);
    List<Integer> pcrs = new ArrayList<>();
    for (int i = 0; i < size * 8; i++) {
      if ((mask[i >>> 3] & (1 << (i & 7))) != 0) {
        pcrs.add(i);
      }
    }
    return pcrs;
  }

  /** The TPM marshalling of this selection. */
  public byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int n = banks.size();
    out.write(n >>> 24);
    out.write(n >>> 16);
    out.write(n >>> 8);
    out.write(n);
    for (Bank b : banks) {
      out.write(b.hash().tpmId() >>> 8);
      out.write(b.hash().tpmId());
      out.write(b.selectSize());
      byte[] mask = new byte[b.selectSize()];
      for (int pcr : b.pcrs()) {
        mask[pcr >>> 3] |= (byte) (1 << (pcr & 7));
      }
      out.writeBytes(mask);
    }
    return out.toByteArray();
  }

  /** Number of registers selected over all banks. */
  public int count() {
    int n = 0;
    for (Bank b : banks) {
      n += b.pcrs().size();
    }
    return n;
  }

  /** True when no register is selected. */
  public boolean isEmpty() {
    return count() == 0;
  }

  /**
   * The quote's {@code pcrDigest} these values would produce: {@code digestAlg} over every selected
   * register value in selection order. {@code digestAlg} is the quote signature's hash, which need
   * not be the bank's hash.
   *
   * @throws VerificationException {@link Failure#PCR_VALUES_MISSING} naming every missing register
   */
  public byte[] digest(HashAlg digestAlg, PcrValues values) throws VerificationException {
    MessageDigest md = digestAlg.newDigest();
    StringJoiner missing = new StringJoiner(", ");
    for (Bank b : banks) {
      for (int pcr : b.pcrs()) {
        Optional<byte[]> v = values.get(b.hash(), pcr);
        if (v.isPresent()) {
          md.update(v.get());
        } else {
          missing.add(b.hash().shortName() + ":" + pcr);
        }
      }
    }
    requireNoneMissing(missing);
    return md.digest();
  }

  /**
   * The supplied values restricted to the selected registers.
   *
   * @throws VerificationException {@link Failure#PCR_VALUES_MISSING} naming every missing register
   */
  public PcrValues restrict(PcrValues values) throws VerificationException {
    PcrValues.Builder out = PcrValues.builder();
    StringJoiner missing = new StringJoiner(", ");
    for (Bank b : banks) {
      for (int pcr : b.pcrs()) {
        Optional<byte[]> v = values.get(b.hash(), pcr);
        if (v.isPresent()) {
          out.put(b.hash(), pcr, v.get());
        } else {
          missing.add(b.hash().shortName() + ":" + pcr);
        }
      }
    }
    requireNoneMissing(missing);
    return out.build();
  }

  private static void requireNoneMissing(StringJoiner missing) throws VerificationException {
    if (missing.length() > 0) {
      throw new VerificationException(
          Failure.PCR_VALUES_MISSING, "no value supplied for selected PCR " + missing);
    }
  }

  @Override
  public String toString() {
    StringJoiner j = new StringJoiner("+");
    for (Bank b : banks) {
      StringJoiner p = new StringJoiner(",", b.hash().shortName() + ":", "");
      b.pcrs().forEach(i -> p.add(Integer.toString(i)));
      j.add(p.toString());
    }
    return j.toString();
  }
}
