package dev.vouch.evidence.snp;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.bytes.Hex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The SEV-SNP certificate table that an extended guest request returns beside the report (GHCB
 * specification, "SNP extended guest request"; configfs-tsm's {@code auxblob}): entries of a
 * 16-byte GUID, a little-endian 32-bit offset and a 32-bit length, ended by an all-zero entry, the
 * certificates following at those offsets counted from the table's start. The GUIDs are in RFC 4122
 * byte order, as AMD's tools and the sev crate write them.
 *
 * <p>The table comes from the host, so nothing in it is trusted: it only saves the verifier a KDS
 * lookup, and the verifier checks every certificate to its pinned ARK as if fetched.
 */
public final class SnpCertTable {
  /** Entries beyond this are refused: a real table has three or four. */
  static final int MAX_ENTRIES = 32;

  /**
   * The GUIDs of the certificate kinds the GHCB specification defines, by the sev crate's names.
   */
  private static final Map<String, String> KINDS =
      Map.of(
          "63da758d-e664-4564-adc5-f4b93be8accd", "VCEK",
          "a8074bc2-a25a-483e-aae6-39c045a0b8a1", "VLEK",
          "4ab7b379-bbac-4fe4-a02f-05aef327c782", "ASK",
          "c0b406a4-a803-4952-9743-3fb6014cd0ae", "ARK");

  private SnpCertTable() {}

  /**
   * One certificate of the table.
   *
   * @param guid its GUID, lower-case with dashes
   * @param kind VCEK, VLEK, ASK, ARK, or OTHER for any GUID the specification does not name
   * @param data the certificate's bytes
   */
  public record Entry(String guid, String kind, byte[] data) {
    public Entry {
      data = data.clone();
    }

    @Override
    public byte[] data() {
      return data.clone();
    }
  }

  /** The 16 GUID bytes of a certificate kind, as the table carries them. */
  static byte[] guid(String kind) {
    for (Map.Entry<String, String> e : KINDS.entrySet()) {
      if (e.getValue().equals(kind)) {
        return Hex.decode(e.getKey().replace("-", ""));
      }
    }
    throw new IllegalArgumentException("no GUID for " + kind);
  }

  /**
   * Parses a table; an empty blob is an empty table (the host supplied no certificates).
   *
   * @throws VerificationException {@link Failure#TRUNCATED} without the terminating entry, {@link
   *     Failure#MALFORMED} for an entry pointing into the table or past its end, an empty entry or
   *     too many entries
   */
  public static List<Entry> parse(byte[] table) throws VerificationException {
    List<Entry> out = new ArrayList<>();
    if (table.length == 0) {
      return out;
    }
    record Raw(String guid, long offset, long length) {}
    List<Raw> raw = new ArrayList<>();
    ByteReader r = ByteReader.littleEndian(table);
    while (true) {
      byte[] guid = r.bytes(16);
      long offset = r.u32();
      long length = r.u32();
      boolean zeroGuid = Arrays.equals(guid, new byte[16]);
      if (zeroGuid && offset == 0 && length == 0) {
        break;
      }
      if (raw.size() == MAX_ENTRIES) {
        throw new VerificationException(
            Failure.MALFORMED, "certificate table has more than " + MAX_ENTRIES + " entries");
      }
      if (zeroGuid || length == 0) {
        throw new VerificationException(
            Failure.MALFORMED, "certificate table entry " + raw.size() + " is empty");
      }
      raw.add(new Raw(dashed(guid), offset, length));
    }
    // the certificates lie after the table (its terminator included) and inside the blob
    int tableEnd = r.position();
    for (Raw e : raw) {
      if (e.offset() < tableEnd || e.offset() + e.length() > table.length) {
        throw new VerificationException(
            Failure.MALFORMED,
            "certificate table entry "
                + e.guid()
                + " at "
                + e.offset()
                + "+"
                + e.length()
                + " is outside the "
                + table.length
                + "-byte blob after the "
                + tableEnd
                + "-byte table");
      }
      out.add(
          new Entry(
              e.guid(),
              KINDS.getOrDefault(e.guid(), "OTHER"),
              Arrays.copyOfRange(table, (int) e.offset(), (int) (e.offset() + e.length()))));
    }
    return out;
  }

  /**
   * Writes a table as a host does: the entries, the terminator, then each certificate in order. For
   * simulated guests and tests; the agent only reads tables.
   */
  public static byte[] encode(List<Entry> entries) {
    int head = (entries.size() + 1) * 24;
    int total = head;
    for (Entry e : entries) {
      total += e.data().length;
    }
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(total).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int at = head;
    for (Entry e : entries) {
      b.put(Hex.decode(e.guid().replace("-", "")));
      b.putInt(at);
      b.putInt(e.data().length);
      at += e.data().length;
    }
    b.put(new byte[24]);
    for (Entry e : entries) {
      b.put(e.data());
    }
    return b.array();
  }

  /** An entry of a known kind (VCEK, VLEK, ASK, ARK). */
  public static Entry entry(String kind, byte[] data) {
    return new Entry(dashed(guid(kind)), kind, data);
  }

  private static String dashed(byte[] g) {
    String h = Hex.encode(g);
    return h.substring(0, 8)
        + "-"
        + h.substring(8, 12)
        + "-"
        + h.substring(12, 16)
        + "-"
        + h.substring(16, 20)
        + "-"
        + h.substring(20);
  }
}
