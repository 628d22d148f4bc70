package dev.vouch.evidence.tpm;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.crypto.HashAlg;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the PCR value files {@code tpm2_quote -o} writes: the portable {@code -F values} form and
 * the default "serialized" form.
 */
public final class PcrFiles {

  /** Size of one C {@code TPMS_PCR_SELECTION} {u16 hash, u8 sizeofSelect, u8[4] select, pad}. */
  private static final int SERIALIZED_SELECTION_SIZE = 8;

  /** Digests per C {@code TPML_DIGEST} and bytes per {@code TPM2B_DIGEST} slot. */
  private static final int DIGESTS_PER_GROUP = 8;

  private static final int DIGEST_SLOT = 64;

  private PcrFiles() {}

  /**
   * Reads a {@code tpm2_quote -o} file in either form for a quote with {@code selection}: the
   * serialized form when the file has its exact size and its selection is the quote's, the values
   * form otherwise.
   *
   * @throws VerificationException {@link Failure#MALFORMED} when the file fits neither form
   */
  public static PcrValues read(PcrSelection selection, byte[] file) throws VerificationException {
    int groupBytes = 4 + DIGESTS_PER_GROUP * (2 + DIGEST_SLOT);
    int header = 4 + PcrSelection.MAX_BANKS * SERIALIZED_SELECTION_SIZE + 4;
    if (file.length >= header && (file.length - header) % groupBytes == 0) {
      try {
        PcrValues values = fromSerialized(file);
        if (selection.restrict(values).equals(values)) {
          return values;
        }
      } catch (VerificationException notSerialized) {
        // fall through to the values form, whose length check is exact
      }
    }
    return fromConcatenated(selection, file);
  }

  /**
   * Maps {@code tpm2_quote -F values} output (the selected register values concatenated in
   * selection order) onto the quote's selection.
   *
   * @throws VerificationException {@link Failure#MALFORMED} unless the length is exactly the sum of
   *     the selected registers' digest sizes
   */
  public static PcrValues fromConcatenated(PcrSelection selection, byte[] values)
      throws VerificationException {
    int expected = 0;
    for (PcrSelection.Bank b : selection.banks()) {
      expected += b.pcrs().size() * b.hash().size();
    }
    if (values.length != expected) {
      throw new VerificationException(
          Failure.MALFORMED,
          "PCR values file has "
              + values.length
              + " bytes, the selection "
              + selection
              + " needs "
              + expected);
    }
    ByteReader r = ByteReader.bigEndian(values);
    PcrValues.Builder out = PcrValues.builder();
    for (PcrSelection.Bank b : selection.banks()) {
      for (int pcr : b.pcrs()) {
        out.put(b.hash(), pcr, r.bytes(b.hash().size()));
      }
    }
    return out.build();
  }

  /**
   * Reads tpm2-tools' default "serialized" PCR file: a little-endian dump of the C structures
   * {@code TPML_PCR_SELECTION} (count, then 16 fixed 8-byte selections), a {@code u32} group count,
   * then that many {@code TPML_DIGEST} (count, then 8 fixed slots of {@code u16} size + 64 bytes).
   * The digests fill the selected registers in selection order.
   *
   * @throws VerificationException {@link Failure#MALFORMED} when counts, sizes or the number of
   *     digests disagree with the selection, {@link Failure#TRUNCATED} when the file is short
   */
  public static PcrValues fromSerialized(byte[] bytes) throws VerificationException {
    ByteReader r = ByteReader.littleEndian(bytes);
    long count = r.u32();
    if (count > PcrSelection.MAX_BANKS) {
      throw new VerificationException(
          Failure.MALFORMED, "serialized PCRs: " + count + " banks, at most 16");
    }
    List<PcrSelection.Bank> banks = new ArrayList<>();
    for (int i = 0; i < PcrSelection.MAX_BANKS; i++) {
      ByteReader entry = r.slice(SERIALIZED_SELECTION_SIZE);
      if (i >= count) {
        continue;
      }
      int hashId = entry.u16();
      HashAlg hash =
          HashAlg.fromTpmId(hashId)
              .orElseThrow(
                  () ->
                      new VerificationException(
                          Failure.UNSUPPORTED, "serialized PCRs: bank " + TpmAlg.name(hashId)));
      int size = entry.u8();
      if (size > 4) {
        throw new VerificationException(
            Failure.MALFORMED, "serialized PCRs: sizeofSelect " + size + " exceeds 4");
      }
      banks.add(new PcrSelection.Bank(hash, size, PcrSelection.bitmapIndexes(entry, size)));
    }
    PcrSelection selection = new PcrSelection(banks);
    List<byte[]> digests = new ArrayList<>();
    long groups = r.u32();
    for (long g = 0; g < groups; g++) {
      ByteReader group = r.slice(4 + DIGESTS_PER_GROUP * (2 + DIGEST_SLOT));
      long n = group.u32();
      if (n > DIGESTS_PER_GROUP) {
        throw new VerificationException(
            Failure.MALFORMED, "serialized PCRs: TPML_DIGEST count " + n + " exceeds 8");
      }
      for (int d = 0; d < n; d++) {
        int size = group.u16();
        if (size > DIGEST_SLOT) {
          throw new VerificationException(
              Failure.MALFORMED, "serialized PCRs: digest size " + size + " exceeds 64");
        }
        ByteReader slot = group.slice(DIGEST_SLOT);
        digests.add(slot.bytes(size));
      }
    }
    r.expectEnd("serialized PCRs");
    if (digests.size() != selection.count()) {
      throw new VerificationException(
          Failure.MALFORMED,
          "serialized PCRs: "
              + digests.size()
              + " digests for "
              + selection.count()
              + " selected registers");
    }
    PcrValues.Builder out = PcrValues.builder();
    int next = 0;
    for (PcrSelection.Bank b : selection.banks()) {
      for (int pcr : b.pcrs()) {
        byte[] v = digests.get(next++);
        if (v.length != b.hash().size()) {
          throw new VerificationException(
              Failure.MALFORMED,
              "serialized PCRs: "
                  + b.hash().shortName()
                  + ":"
                  + pcr
                  + " has "
                  + v.length
                  + " bytes");
        }
        out.put(b.hash(), pcr, v);
      }
    }
    return out.build();
  }
}
