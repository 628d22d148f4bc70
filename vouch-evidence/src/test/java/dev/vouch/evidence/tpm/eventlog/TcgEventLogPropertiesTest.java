package dev.vouch.evidence.tpm.eventlog;

import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.read;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.resources;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.eventlog.LogBuilder.Alg;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Hostile input: random bytes, random entries behind a valid Spec ID event, and truncated or
 * bit-flipped real logs only ever parse or fail with a stable {@link VerificationException} code;
 * whatever parses holds no decoded field larger than the input, so a length field can never make
 * the parser allocate more than it was given.
 */
class TcgEventLogPropertiesTest {
  private static final List<String> REAL_LOGS =
      List.of(
          "hirs/TpmLog.bin",
          "hirs/TpmLogSHA1.bin",
          "tpm2-tools/event-sd-boot-fedora37.bin",
          "go-tpm-tools/glinux-alex.bin",
          "go-tpm-tools/cos-85-amd-sev.bin");

  private static final byte[] AGILE_HEADER =
      LogBuilder.agile(Alg.of(HashAlg.SHA1), Alg.of(HashAlg.SHA256)).build();

  @Provide
  Arbitrary<byte[]> realLogs() {
    return Arbitraries.of(REAL_LOGS).map(n -> read(resources().resolve(n)));
  }

  @Provide
  Arbitrary<Long> eventTypes() {
    return Arbitraries.oneOf(
        Arbitraries.of(EventType.values()).map(EventType::code),
        Arbitraries.longs().between(0, 0xFFFFFFFFL));
  }

  @Property(tries = 500)
  void randomBytesParseOrFailWithAStableCode(@ForAll @Size(max = 2048) byte[] bytes) {
    parseOrFailCleanly(bytes);
  }

  @Property(tries = 500)
  void randomEntriesBehindAValidSpecIdEventParseOrFailWithAStableCode(
      @ForAll @Size(max = 2048) byte[] tail) {
    byte[] log = Arrays.copyOf(AGILE_HEADER, AGILE_HEADER.length + tail.length);
    System.arraycopy(tail, 0, log, AGILE_HEADER.length, tail.length);
    parseOrFailCleanly(log);
  }

  @Property(tries = 300)
  void truncatedRealLogsParseOrFailWithAStableCode(
      @ForAll("realLogs") byte[] log, @ForAll @IntRange(min = 0, max = 1 << 20) int cut) {
    parseOrFailCleanly(Arrays.copyOf(log, cut % (log.length + 1)));
  }

  @Property(tries = 500)
  void bitFlippedRealLogsParseOrFailWithAStableCode(
      @ForAll("realLogs") byte[] log,
      @ForAll @Size(min = 1, max = 8)
          List<@IntRange(min = 0, max = Integer.MAX_VALUE) Integer> bits) {
    byte[] flipped = log.clone();
    for (int bit : bits) {
      int at = (bit >>> 3) % flipped.length;
      flipped[at] ^= (byte) (1 << (bit & 7));
    }
    parseOrFailCleanly(flipped);
  }

  @Property(tries = 300)
  void realLogsOverwrittenWithRandomBytesParseOrFailWithAStableCode(
      @ForAll("realLogs") byte[] log,
      @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int at,
      @ForAll @Size(min = 1, max = 64) byte[] junk) {
    byte[] mangled = log.clone();
    int start = at % mangled.length;
    System.arraycopy(junk, 0, mangled, start, Math.min(junk.length, mangled.length - start));
    parseOrFailCleanly(mangled);
  }

  /** Framing is valid here, so whatever the data, the entry must decode to some kind. */
  @Property(tries = 1000)
  void anyDataUnderAnyEventTypeDecodesWithoutFailingTheLog(
      @ForAll("eventTypes") long type,
      @ForAll @IntRange(min = 0, max = 23) int pcr,
      @ForAll @Size(max = 512) byte[] data)
      throws VerificationException {
    // PCR 0 with type 0 (the unused EV_PREBOOT_CERT) is the zero header that marks padding
    Assume.that(pcr != 0 || type != 0);
    byte[] log = LogBuilder.agile(Alg.of(HashAlg.SHA256)).event(pcr, type, data).build();
    TcgEventLog parsed = TcgEventLog.parse(log);
    assertThat(parsed.events()).hasSize(2);
    TcgEvent e = parsed.events().get(1);
    assertThat(e.type()).isEqualTo(type);
    assertThat(e.data()).isEqualTo(data);
    assertBounded(parsed, log.length);
    assertThat(e.describe()).containsKeys("index", "pcr", "type", "digests");
  }

  private static void parseOrFailCleanly(byte[] bytes) {
    TcgEventLog log;
    try {
      log = TcgEventLog.parse(bytes);
    } catch (VerificationException e) {
      assertThat(e.failure()).isIn(Failure.TRUNCATED, Failure.MALFORMED, Failure.UNSUPPORTED);
      return;
    }
    assertBounded(log, bytes.length);
    // replay names exactly the registers extending entries name, plus PCR 0 when initialised
    java.util.Set<Integer> extended = new java.util.TreeSet<>();
    for (TcgEvent e : log.events()) {
      if (e.type() != EventType.EV_NO_ACTION.code()) {
        extended.add(e.pcr());
      }
    }
    if (log.hasStartupLocality()) {
      extended.add(0);
    }
    assertThat(log.replay().indexes(log.banks().get(0))).containsExactlyElementsOf(extended);
    log.digestMismatches();
    log.secureBoot();
    for (TcgEvent e : log.events()) {
      e.describe();
    }
  }

  /** Every count and array the parse produced is justified by the input length {@code n}. */
  static void assertBounded(TcgEventLog log, int n) {
    long data = 0;
    for (TcgEvent e : log.events()) {
      data += e.header().dataLength();
    }
    assertThat(data + 8L * log.events().size()).isLessThanOrEqualTo(n);
    for (TcgEvent e : log.events()) {
      int limit = e.header().dataLength();
      long decoded =
          switch (e) {
            case SpecIdEvent s -> 4L * s.algorithms().size() + s.vendorInfo().length;
            case EfiVariableEvent v -> 2L * v.name().length() + v.valueLength();
            case EfiImageLoadEvent i -> i.devicePath().length;
            case EfiGptEvent g -> 128L * g.partitions().size();
            case HandoffTablesEvent h -> 24L * h.tables().size();
            case EventTagEvent t -> t.taggedEventData().length;
            case IplEvent i -> i.text().length();
            case ActionEvent a -> a.text().length();
            default -> 0;
          };
      assertThat(decoded).as("decoded size of %s", e).isLessThanOrEqualTo(limit);
      for (Map.Entry<HashAlg, byte[]> d : e.digests().entrySet()) {
        assertThat(d.getValue()).hasSize(d.getKey().size());
      }
    }
  }
}
