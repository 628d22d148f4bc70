package dev.vouch.evidence.tdx;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.dcap.TdReport;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.eventlog.EventType;
import dev.vouch.evidence.tpm.eventlog.TcgEvent;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A TDX CC event log (the firmware's CCEL area, optionally with its ACPI table): a TCG crypto-agile
 * log whose entries name an MR index instead of a PCR. By the CC event log convention ({@link
 * TdRegister}, the one TD register table) MR index 0 is MRTD (built by the host, never extended
 * from the log) and MR index 1..4 are RTMR 0..3. Replay extends each RTMR from 48 zero bytes with
 * SHA-384: {@code rtmr = SHA384(rtmr || digest)}. Immutable.
 */
public final class CcelLog {
  /** The number of RTMRs a TD has. */
  public static final int RTMR_COUNT = TdRegister.RTMR_COUNT;

  private static final long NO_ACTION = EventType.EV_NO_ACTION.code();

  private final TcgEventLog log;
  private final Optional<CcelTable> table;
  private final List<byte[]> rtmrs;

  private CcelLog(TcgEventLog log, Optional<CcelTable> table, List<byte[]> rtmrs) {
    this.log = log;
    this.table = table;
    this.rtmrs = rtmrs;
  }

  /**
   * Parses and replays a CCEL event log.
   *
   * @throws VerificationException {@link Failure#TRUNCATED}/{@link Failure#MALFORMED} for a log
   *     that does not frame, {@link Failure#UNSUPPORTED} without a SHA-384 bank, {@link
   *     Failure#MALFORMED} for an event on an MR index above 4
   */
  public static CcelLog parse(byte[] log) throws VerificationException {
    return parse(log, Optional.empty());
  }

  /**
   * Parses a log together with its ACPI CCEL table; the log must fit the table's log area and the
   * table must describe a TDX log.
   */
  public static CcelLog parse(byte[] acpiTable, byte[] log) throws VerificationException {
    CcelTable t = CcelTable.parse(acpiTable);
    if (t.ccType() != CcelTable.CC_TYPE_TDX) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "CCEL table is for CC type " + t.ccType() + ", not TDX");
    }
    if (log.length > t.logAreaMinimumLength()) {
      throw new VerificationException(
          Failure.MALFORMED,
          "event log of "
              + log.length
              + " bytes exceeds the CCEL area "
              + t.logAreaMinimumLength());
    }
    return parse(log, Optional.of(t));
  }

  private static CcelLog parse(byte[] bytes, Optional<CcelTable> table)
      throws VerificationException {
    TcgEventLog log = TcgEventLog.parse(bytes);
    if (!log.banks().contains(HashAlg.SHA384)) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "CC event log has no SHA-384 digests (banks " + log.banks() + ")");
    }
    byte[][] regs = new byte[RTMR_COUNT][HashAlg.SHA384.size()];
    MessageDigest md = HashAlg.SHA384.newDigest();
    for (TcgEvent e : log.events()) {
      if (e.type() == NO_ACTION) {
        continue;
      }
      int mr = e.pcr();
      TdRegister reg =
          TdRegister.forCcMrIndex(mr)
              .orElseThrow(
                  () ->
                      new VerificationException(
                          Failure.MALFORMED,
                          "event " + e.index() + " names MR index " + mr + " (0..4)"));
      if (reg.rtmrIndex().isEmpty()) {
        continue; // MRTD is measured by the TDX module at build time, not extended at run time
      }
      int rtmr = reg.rtmrIndex().getAsInt();
      byte[] digest =
          e.header()
              .digest(HashAlg.SHA384)
              .orElseThrow(
                  () ->
                      new VerificationException(
                          Failure.MALFORMED, "event " + e.index() + " lacks a SHA-384 digest"));
      md.update(regs[rtmr]);
      md.update(digest);
      regs[rtmr] = md.digest();
    }
    List<byte[]> out = new ArrayList<>();
    for (byte[] r : regs) {
      out.add(r);
    }
    return new CcelLog(log, table, List.copyOf(out));
  }

  /** The replayed RTMR {@code i} (0..3). */
  public byte[] rtmr(int i) {
    return rtmrs.get(i).clone();
  }

  /** The replayed RTMRs as {@code rtmr0..rtmr3 -> hex}. */
  public Map<String, String> toHexMap() {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < RTMR_COUNT; i++) {
      m.put(TdRegister.rtmr(i).label(), Hex.encode(rtmrs.get(i)));
    }
    return m;
  }

  /** The replay in the shape of PCR values (bank SHA-384, index = RTMR number). */
  public PcrValues toPcrValues() {
    PcrValues.Builder b = PcrValues.builder();
    for (int i = 0; i < RTMR_COUNT; i++) {
      b.put(HashAlg.SHA384, i, rtmrs.get(i));
    }
    return b.build();
  }

  /** The underlying parsed event log (decoded events). */
  public TcgEventLog log() {
    return log;
  }

  /** The ACPI table, when one was given. */
  public Optional<CcelTable> table() {
    return table;
  }

  /** The number of entries in the log, the Spec ID event included. */
  public int events() {
    return log.events().size();
  }

  /**
   * Requires the replay to reproduce all four RTMRs of {@code report}.
   *
   * @throws VerificationException {@link Failure#EVENT_LOG_MISMATCH} naming the first RTMR that
   *     differs
   */
  public void requireMatches(TdReport report) throws VerificationException {
    requireMatches(List.of(report.rtmr(0), report.rtmr(1), report.rtmr(2), report.rtmr(3)));
  }

  /**
   * Requires the replay to reproduce {@code expected} RTMR0..3.
   *
   * @throws VerificationException {@link Failure#EVENT_LOG_MISMATCH} naming the first RTMR that
   *     differs
   */
  public void requireMatches(List<byte[]> expected) throws VerificationException {
    if (expected.size() != RTMR_COUNT) {
      throw new IllegalArgumentException("four RTMRs expected");
    }
    for (int i = 0; i < RTMR_COUNT; i++) {
      if (!MessageDigest.isEqual(rtmrs.get(i), expected.get(i))) {
        throw new VerificationException(
            Failure.EVENT_LOG_MISMATCH,
            "CC event log replays RTMR"
                + i
                + " to "
                + Hex.encode(rtmrs.get(i))
                + ", the quote has "
                + Hex.encode(expected.get(i)));
      }
    }
  }
}
