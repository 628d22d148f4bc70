package dev.vouch.evidence.tpm.eventlog;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A parsed TCG PC Client platform firmware event log ({@code
 * /sys/kernel/security/tpm0/binary_bios_measurements}), either the SHA-1 legacy layout or the
 * crypto-agile one. Immutable and safe to share between threads.
 *
 * <p>Parsing is strict about framing and lenient about event data: every size in the log is
 * checked, a log that ends inside an entry fails with {@link Failure#TRUNCATED}, and an entry for a
 * PCR above 23 or with digests that disagree with the Spec ID event fails with {@link
 * Failure#MALFORMED}; but event data that does not decode as its type says becomes an {@link
 * OpaqueEvent}. Parsing stops at the unused tail of a fixed-size log buffer: where an entry would
 * start with eight zero bytes or a PCR index of {@code 0xFFFFFFFF} and every byte from there to the
 * end is {@code 0x00} or {@code 0xFF}. Anything else is an entry: an {@code EV_NO_ACTION} entry may
 * name PCR {@code 0xFFFFFFFF} (Windows logs carry one; {@link TcgEvent#pcr()} is then {@link
 * #NO_PCR}), any other entry naming it is {@link Failure#MALFORMED}.
 *
 * <p>Parsing does not judge event data against digests, so that {@code show} can display a forged
 * log; {@link #digestMismatches()} lists the entries of {@link DigestBinding#DATA} types whose data
 * is not what their digests hash, and {@link #verifyDigests()} refuses them. Claims read from event
 * data ({@link #secureBoot()}) use only entries whose digests were checked.
 *
 * <p>TDX CCEL logs share the crypto-agile layout (SHA-384, MR index 1..4 for RTMR 0..3), so this
 * parser frames them too and {@link #replay()} yields their RTMRs under those indexes.
 */
public final class TcgEventLog {
  /** PCRs 0..23 of a PC Client TPM. */
  public static final int PCR_COUNT = 24;

  /** {@link TcgEvent#pcr()} of an {@code EV_NO_ACTION} entry that names PCR {@code 0xFFFFFFFF}. */
  public static final int NO_PCR = -1;

  private static final int SHA1_SIZE = 20;
  private static final long NO_ACTION = EventType.EV_NO_ACTION.code();

  private final LogFormat format;
  private final List<HashAlg> banks;
  private final List<TcgEvent> events;
  private final int startupLocality;
  private final int paddingLength;
  private final List<DigestMismatch> digestMismatches;
  // per entry: a DATA-type entry whose digest in every known bank (at least one) hashes its data
  private final boolean[] digestChecked;

  // the replay plan, built once: the PCR and per-bank digest of every extending entry
  private final int[] extendPcr;
  private final byte[][][] extendDigests;

  private TcgEventLog(
      LogFormat format, List<HashAlg> banks, List<TcgEvent> events, int paddingLength) {
    this.format = format;
    this.banks = List.copyOf(banks);
    this.events = List.copyOf(events);
    this.paddingLength = paddingLength;
    int locality = 0;
    for (TcgEvent e : events) {
      if (e instanceof StartupLocalityEvent s && s.pcr() == 0) {
        locality = s.locality();
        break;
      }
    }
    this.startupLocality = locality;
    List<DigestMismatch> mismatches = new ArrayList<>();
    this.digestChecked = new boolean[this.events.size()];
    for (int i = 0; i < this.events.size(); i++) {
      EventHeader h = this.events.get(i).header();
      if (DigestBinding.of(h.type()) != DigestBinding.DATA) {
        continue;
      }
      boolean ok = false;
      for (HashAlg bank : h.banks()) {
        if (!MessageDigest.isEqual(bank.digest(h.dataRef()), h.digestRef(bank))) {
          mismatches.add(new DigestMismatch(h.index(), h.pcr(), h.type(), bank));
          ok = false;
          break;
        }
        ok = true;
      }
      digestChecked[i] = ok;
    }
    this.digestMismatches = List.copyOf(mismatches);
    int n = 0;
    for (TcgEvent e : events) {
      if (e.type() != NO_ACTION) {
        n++;
      }
    }
    extendPcr = new int[n];
    extendDigests = new byte[this.banks.size()][n][];
    int k = 0;
    for (TcgEvent e : events) {
      if (e.type() == NO_ACTION) {
        continue;
      }
      extendPcr[k] = e.pcr();
      for (int b = 0; b < this.banks.size(); b++) {
        extendDigests[b][k] = e.header().digestRef(this.banks.get(b));
      }
      k++;
    }
  }

  /**
   * Parses a binary event log.
   *
   * @throws VerificationException {@link Failure#TRUNCATED} when the log ends inside an entry,
   *     {@link Failure#MALFORMED} for an invalid Spec ID event, a PCR index above 23, a digest
   *     algorithm or count that disagrees with the Spec ID event, or a log with no entries
   */
  public static TcgEventLog parse(byte[] bytes) throws VerificationException {
    Objects.requireNonNull(bytes, "bytes");
    ByteReader r = ByteReader.littleEndian(bytes);
    if (!r.hasRemaining()) {
      throw new VerificationException(Failure.TRUNCATED, "event log is empty");
    }
    if (atPadding(bytes, r)) {
      throw new VerificationException(Failure.MALFORMED, "event log holds no entries");
    }
    EventHeader first = readLegacyEntry(r, 0);
    List<TcgEvent> events = new ArrayList<>();
    if (first.type() == NO_ACTION
        && EventDecoder.hasSignature(first.dataRef(), SpecIdEvent.AGILE_SIGNATURE)) {
      SpecIdEvent spec = agileSpecId(first);
      List<HashAlg> banks = new ArrayList<>();
      for (var a : spec.algorithms()) {
        a.hashAlg().ifPresent(banks::add);
      }
      events.add(spec);
      int[] ids = spec.algorithms().stream().mapToInt(SpecIdEvent.Algorithm::algorithmId).toArray();
      int[] sizes =
          spec.algorithms().stream().mapToInt(SpecIdEvent.Algorithm::digestSize).toArray();
      HashAlg[] algs = new HashAlg[ids.length];
      for (int i = 0; i < ids.length; i++) {
        algs[i] = HashAlg.fromTpmId(ids[i]).orElse(null);
      }
      while (r.hasRemaining() && !atPadding(bytes, r)) {
        events.add(EventDecoder.decode(readAgileEntry(r, events.size(), ids, sizes, algs)));
      }
      return new TcgEventLog(LogFormat.CRYPTO_AGILE, banks, events, r.remaining());
    }
    events.add(EventDecoder.decode(first));
    while (r.hasRemaining() && !atPadding(bytes, r)) {
      events.add(EventDecoder.decode(readLegacyEntry(r, events.size())));
    }
    return new TcgEventLog(LogFormat.SHA1_LEGACY, List.of(HashAlg.SHA1), events, r.remaining());
  }

  /**
   * The unused tail of a log buffer: where an entry would start, eight zero bytes (PCR 0 with the
   * never-used type 0) or a PCR index of {@code 0xFFFFFFFF} (erased flash), and nothing but {@code
   * 0x00} and {@code 0xFF} bytes from there to the end. A header like that followed by other bytes
   * is parsed as an entry, so no entry can hide behind a padding-like header.
   */
  private static boolean atPadding(byte[] bytes, ByteReader r) {
    if (!r.peekAll(8, 0x00) && !r.peekAll(4, 0xff)) {
      return false;
    }
    for (int i = r.position(); i < bytes.length; i++) {
      if (bytes[i] != 0 && bytes[i] != (byte) 0xff) {
        return false;
      }
    }
    return true;
  }

  private static int pcrIndex(long pcr, long type, int index, int offset)
      throws VerificationException {
    if (pcr == 0xFFFFFFFFL && type == NO_ACTION) {
      return NO_PCR; // Windows logs a no-action entry there; it is never extended
    }
    if (pcr >= PCR_COUNT) {
      throw new VerificationException(
          Failure.MALFORMED,
          "entry " + index + " at offset " + offset + " names PCR " + pcr + ", above 23");
    }
    return (int) pcr;
  }

  /** A {@code TCG_PCR_EVENT}: one SHA-1 digest. */
  private static EventHeader readLegacyEntry(ByteReader r, int index) throws VerificationException {
    int offset = r.position();
    long pcrField = r.u32();
    long type = r.u32();
    int pcr = pcrIndex(pcrField, type, index, offset);
    byte[] digest = r.bytes(SHA1_SIZE);
    int size = r.length32("event data of entry " + index);
    byte[] data = r.bytes(size);
    EnumMap<HashAlg, byte[]> digests = new EnumMap<>(HashAlg.class);
    digests.put(HashAlg.SHA1, digest);
    return new EventHeader(index, offset, pcr, type, digests, data);
  }

  /** A {@code TCG_PCR_EVENT2}: one digest per algorithm of the Spec ID event, in any order. */
  private static EventHeader readAgileEntry(
      ByteReader r, int index, int[] ids, int[] sizes, HashAlg[] algs)
      throws VerificationException {
    int offset = r.position();
    long pcrField = r.u32();
    long type = r.u32();
    int pcr = pcrIndex(pcrField, type, index, offset);
    long count = r.u32();
    if (count != ids.length) {
      throw new VerificationException(
          Failure.MALFORMED,
          "entry "
              + index
              + " at offset "
              + offset
              + " has "
              + count
              + " digests; the Spec ID event lists "
              + ids.length);
    }
    EnumMap<HashAlg, byte[]> digests = new EnumMap<>(HashAlg.class);
    boolean[] seen = new boolean[ids.length];
    for (int i = 0; i < ids.length; i++) {
      int id = r.u16();
      int k = indexOf(ids, id);
      if (k < 0 || seen[k]) {
        throw new VerificationException(
            Failure.MALFORMED,
            String.format(
                "entry %d at offset %d has a %s digest for algorithm 0x%04x",
                index, offset, k < 0 ? "digest not in the Spec ID event," : "second", id));
      }
      seen[k] = true;
      if (algs[k] != null) {
        digests.put(algs[k], r.bytes(sizes[k]));
      } else {
        r.skip(sizes[k]); // unknown algorithm: its size from the Spec ID event lets us step over it
      }
    }
    int size = r.length32("event data of entry " + index);
    byte[] data = r.bytes(size);
    return new EventHeader(index, offset, pcr, type, digests, data);
  }

  private static int indexOf(int[] ids, int id) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] == id) {
        return i;
      }
    }
    return -1;
  }

  /** Decodes and checks the Spec ID event that frames every later entry. */
  private static SpecIdEvent agileSpecId(EventHeader first) throws VerificationException {
    SpecIdEvent spec;
    try {
      spec = EventDecoder.specId(first);
    } catch (VerificationException e) {
      throw new VerificationException(Failure.MALFORMED, "Spec ID event: " + e.getMessage(), e);
    }
    if (spec.algorithms().isEmpty()) {
      throw new VerificationException(Failure.MALFORMED, "Spec ID event lists no algorithms");
    }
    List<Integer> ids = new ArrayList<>();
    for (var a : spec.algorithms()) {
      if (ids.contains(a.algorithmId())) {
        throw new VerificationException(
            Failure.MALFORMED,
            String.format("Spec ID event lists algorithm 0x%04x twice", a.algorithmId()));
      }
      ids.add(a.algorithmId());
      Optional<HashAlg> known = a.hashAlg();
      if (a.digestSize() == 0 || known.isPresent() && known.get().size() != a.digestSize()) {
        throw new VerificationException(
            Failure.MALFORMED,
            String.format(
                "Spec ID event gives algorithm 0x%04x a digest size of %d",
                a.algorithmId(), a.digestSize()));
      }
    }
    return spec;
  }

  public LogFormat format() {
    return format;
  }

  /**
   * The banks the log carries and replay computes, in the Spec ID event's order; SHA-1 alone for a
   * legacy log. Algorithms Vouch does not know are left out (their digests are skipped).
   */
  public List<HashAlg> banks() {
    return banks;
  }

  /** All entries in log order, the Spec ID event first for a crypto-agile log. */
  public List<TcgEvent> events() {
    return events;
  }

  /** The Spec ID event, when the log starts with one. */
  public Optional<SpecIdEvent> specIdEvent() {
    return !events.isEmpty() && events.get(0) instanceof SpecIdEvent s
        ? Optional.of(s)
        : Optional.empty();
  }

  /** The TPM's startup locality from the StartupLocality event on PCR 0; 0 when there is none. */
  public int startupLocality() {
    return startupLocality;
  }

  /** Bytes after the last entry that were taken as the unused tail of the log buffer. */
  public int paddingLength() {
    return paddingLength;
  }

  /**
   * Recomputes the PCRs the log describes, in every known bank: each PCR some entry extends, and
   * PCR 0 also when a StartupLocality event initialised it. PCRs 17 to 22 start at all ones and the
   * others at zero, except that PCR 0 starts at {@code 00..00 || locality} per the StartupLocality
   * event; {@code EV_NO_ACTION} entries are never extended. The result is what the TPM should
   * report if the log is complete and honest. Replay does not look at event data: see {@link
   * #verifyDigests()}.
   */
  public PcrValues replay() {
    boolean[] used = new boolean[PCR_COUNT];
    used[0] = hasStartupLocality();
    for (int p : extendPcr) {
      used[p] = true;
    }
    PcrValues.Builder out = PcrValues.builder();
    for (int b = 0; b < banks.size(); b++) {
      HashAlg alg = banks.get(b);
      byte[][] regs = initialRegisters(alg, startupLocality);
      MessageDigest md = alg.newDigest();
      byte[][] digests = extendDigests[b];
      int size = alg.size();
      try {
        for (int k = 0; k < extendPcr.length; k++) {
          byte[] reg = regs[extendPcr[k]];
          md.update(reg);
          md.update(digests[k]);
          md.digest(reg, 0, size);
        }
      } catch (DigestException e) {
        throw new IllegalStateException("digest output does not fit " + alg, e);
      }
      for (int i = 0; i < PCR_COUNT; i++) {
        if (used[i]) {
          out.put(alg, i, regs[i]);
        }
      }
    }
    return out.build();
  }

  /** The reset value of every PCR in {@code bank}, with PCR 0 set for {@code locality}. */
  public static byte[][] initialRegisters(HashAlg bank, int locality) {
    byte[][] regs = new byte[PCR_COUNT][bank.size()];
    for (int i = 17; i <= 22; i++) {
      Arrays.fill(regs[i], (byte) 0xff);
    }
    regs[0][bank.size() - 1] = (byte) locality;
    return regs;
  }

  /** True when a StartupLocality event on PCR 0 sets that register's initial value. */
  public boolean hasStartupLocality() {
    for (TcgEvent e : events) {
      if (e instanceof StartupLocalityEvent s && s.pcr() == 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * Entries of {@link DigestBinding#DATA} types whose digest in some bank is not the hash of their
   * data, in log order; empty for an honest log.
   */
  public List<DigestMismatch> digestMismatches() {
    return digestMismatches;
  }

  /**
   * Refuses a log with an entry whose data is not what its digests hash (see {@link
   * DigestBinding#DATA}).
   *
   * @return this log, for chaining after {@link #parse}
   * @throws VerificationException {@link Failure#EVENT_DIGEST_MISMATCH} naming the first such
   *     entry's index, type, PCR and bank
   */
  public TcgEventLog verifyDigests() throws VerificationException {
    if (!digestMismatches.isEmpty()) {
      DigestMismatch m = digestMismatches.get(0);
      String more =
          digestMismatches.size() > 1 ? " (and " + (digestMismatches.size() - 1) + " more)" : "";
      throw new VerificationException(Failure.EVENT_DIGEST_MISMATCH, m.describe() + more);
    }
    return this;
  }

  /**
   * True when {@code event} is an entry of this log of a {@link DigestBinding#DATA} type whose
   * digest in every known bank (at least one) is the hash of its data: only such entries may back a
   * claim.
   */
  public boolean digestChecked(TcgEvent event) {
    int i = event.index();
    return i >= 0 && i < events.size() && events.get(i) == event && digestChecked[i];
  }

  /**
   * The Secure Boot state read from this log's digest-checked PCR 7 variable measurements (see
   * {@link SecureBootState} for which events back each fact). Entries whose data differs from their
   * digests are ignored, so a forged value reads as absent; the state is only as good as the PCR 7
   * it came from, so use it after PCR 7 replayed to a quoted value.
   */
  public SecureBootState secureBoot() {
    return SecureBootState.of(this);
  }

  @Override
  public String toString() {
    return "TcgEventLog[" + format + ", banks=" + banks + ", " + events.size() + " events]";
  }
}
