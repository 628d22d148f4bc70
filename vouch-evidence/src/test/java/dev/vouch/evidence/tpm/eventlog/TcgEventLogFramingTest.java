package dev.vouch.evidence.tpm.eventlog;

import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.read;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.resources;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.eventlog.LogBuilder.Alg;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The framing rules: sizes, truncation, Spec ID consistency, PCR range and padding. */
class TcgEventLogFramingTest {
  private static final long SEPARATOR = EventType.EV_SEPARATOR.code();
  private static final long NO_ACTION = EventType.EV_NO_ACTION.code();
  private static final Alg SHA1 = Alg.of(HashAlg.SHA1);
  private static final Alg SHA256 = Alg.of(HashAlg.SHA256);

  private static Failure failureOf(byte[] log) {
    try {
      TcgEventLog.parse(log);
    } catch (VerificationException e) {
      return e.failure();
    }
    throw new AssertionError("parsed without failure");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "hirs/TpmLog.bin",
        "hirs/TpmLogSHA1.bin",
        "tpm2-tools/event-sd-boot-fedora37.bin",
        "go-tpm-tools/glinux-alex.bin"
      })
  void everyCutInsideAnEntryIsTruncatedAndEveryCutBetweenEntriesParsesTheEntriesBefore(String name)
      throws VerificationException {
    byte[] log = read(resources().resolve(name));
    TcgEventLog whole = TcgEventLog.parse(log);
    Set<Integer> boundaries = new TreeSet<>();
    for (TcgEvent e : whole.events()) {
      boundaries.add(e.header().offset());
    }
    int cuts = 0;
    for (int cut = 1; cut < log.length; cut++) {
      byte[] prefix = Arrays.copyOf(log, cut);
      if (boundaries.contains(cut)) {
        int end = cut;
        int before = (int) boundaries.stream().filter(b -> b < end).count();
        assertThat(TcgEventLog.parse(prefix).events()).hasSize(before);
      } else {
        assertThat(failureOf(prefix)).as("cut at %d", cut).isEqualTo(Failure.TRUNCATED);
        cuts++;
      }
    }
    assertThat(cuts).isEqualTo(log.length - whole.events().size());
  }

  @Test
  void emptyInputIsTruncated() {
    assertThat(failureOf(new byte[0])).isEqualTo(Failure.TRUNCATED);
  }

  @Test
  void inputThatIsAllPaddingHoldsNoEntriesAndIsMalformed() {
    assertThat(failureOf(new byte[64])).isEqualTo(Failure.MALFORMED);
    byte[] erased = new byte[64];
    Arrays.fill(erased, (byte) 0xff);
    assertThat(failureOf(erased)).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void specIdGivingSha256ATwentyByteDigestIsMalformed() {
    byte[] log = LogBuilder.agile(SHA1, new Alg(HashAlg.SHA256.tpmId(), 20)).build();
    assertThat(failureOf(log)).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void specIdListingNoAlgorithmOrOneTwiceIsMalformed() {
    assertThat(failureOf(LogBuilder.agile().build())).isEqualTo(Failure.MALFORMED);
    assertThat(failureOf(LogBuilder.agile(SHA256, SHA256).build())).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void specIdWhoseAlgorithmTableOverrunsItsDataIsMalformed() {
    byte[] data = LogBuilder.specId(SHA1, SHA256);
    data[24] = 9; // numberOfAlgorithms: nine entries do not fit in the event data
    byte[] log = LogBuilder.legacy().legacyEntry(0, NO_ACTION, new byte[20], data).build();
    assertThat(failureOf(log)).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void entryWithADigestForAnAlgorithmTheSpecIdDoesNotListIsMalformed() {
    byte[] log =
        LogBuilder.agile(SHA256)
            .entry(
                0, SEPARATOR, List.of(Alg.of(HashAlg.SHA384)), List.of(new byte[48]), new byte[4])
            .build();
    assertThat(failureOf(log)).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void entryWhoseDigestCountDiffersFromTheSpecIdIsMalformed() {
    byte[] log =
        LogBuilder.agile(SHA1, SHA256)
            .entry(0, SEPARATOR, List.of(SHA256), List.of(new byte[32]), new byte[4])
            .build();
    assertThat(failureOf(log)).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void entryCarryingOneBankTwiceIsMalformed() {
    byte[] log =
        LogBuilder.agile(SHA1, SHA256)
            .entry(
                0,
                SEPARATOR,
                List.of(SHA256, SHA256),
                List.of(new byte[32], new byte[32]),
                new byte[4])
            .build();
    assertThat(failureOf(log)).isEqualTo(Failure.MALFORMED);
  }

  @ParameterizedTest
  @ValueSource(longs = {24, 25, 0x80000000L, 0xFFFFFFFEL})
  void entryForAPcrAbove23IsMalformedInBothFormats(long pcr) {
    byte[] agile = LogBuilder.agile(SHA256).event(pcr, SEPARATOR, new byte[4]).build();
    assertThat(failureOf(agile)).isEqualTo(Failure.MALFORMED);
    byte[] legacy =
        LogBuilder.legacy()
            .event(0, SEPARATOR, new byte[4])
            .event(pcr, SEPARATOR, new byte[4])
            .build();
    assertThat(failureOf(legacy)).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void eventDataSizeBeyondTheLogIsTruncated() {
    byte[] log = LogBuilder.agile(SHA256).event(0, SEPARATOR, new byte[4]).build();
    log[log.length - 8] = (byte) 0xff; // the data size field: 0x000000ff, far past the end
    assertThat(failureOf(log)).isEqualTo(Failure.TRUNCATED);
  }

  @Test
  void digestsOfAnAlgorithmVouchDoesNotKnowAreSkippedAndOnlyKnownBanksReplay()
      throws VerificationException {
    Alg unknown = new Alg(0x0099, 7);
    byte[] data = {0, 0, 0, 0};
    byte[] log =
        LogBuilder.agile(unknown, SHA256)
            .event(4, SEPARATOR, data)
            .event(4, EventType.EV_EFI_ACTION.code(), "x".getBytes())
            .build();
    TcgEventLog parsed = TcgEventLog.parse(log);
    assertThat(parsed.banks()).containsExactly(HashAlg.SHA256);
    assertThat(parsed.specIdEvent().orElseThrow().algorithms())
        .extracting(SpecIdEvent.Algorithm::algorithmId)
        .containsExactly(0x0099, HashAlg.SHA256.tpmId());
    assertThat(parsed.events().get(1).digests()).containsOnlyKeys(HashAlg.SHA256);
    byte[] pcr4 = new byte[32];
    pcr4 = PcrValues.extend(HashAlg.SHA256, pcr4, HashAlg.SHA256.digest(data));
    pcr4 = PcrValues.extend(HashAlg.SHA256, pcr4, HashAlg.SHA256.digest("x".getBytes()));
    assertThat(parsed.replay().get(HashAlg.SHA256, 4)).hasValue(pcr4);
  }

  @Test
  void parsingStopsAtAZeroHeaderAndAtAnErasedOneAndReportsThePadding()
      throws VerificationException {
    byte[] body = LogBuilder.agile(SHA256).event(0, SEPARATOR, new byte[4]).build();
    for (int fill : new int[] {0x00, 0xff}) {
      byte[] padded = Arrays.copyOf(body, body.length + 100);
      Arrays.fill(padded, body.length, padded.length, (byte) fill);
      TcgEventLog log = TcgEventLog.parse(padded);
      assertThat(log.events()).hasSize(2);
      assertThat(log.paddingLength()).isEqualTo(100);
    }
  }

  @Test
  void paddingMayMixZeroAndErasedBytes() throws VerificationException {
    byte[] body = LogBuilder.agile(SHA256).event(0, SEPARATOR, new byte[4]).build();
    byte[] padded = Arrays.copyOf(body, body.length + 64);
    for (int i = body.length; i < padded.length; i++) {
      padded[i] = (byte) (i % 3 == 0 ? 0xff : 0x00);
    }
    padded[body.length] = 0; // starts with eight zero bytes
    Arrays.fill(padded, body.length, body.length + 8, (byte) 0);
    TcgEventLog log = TcgEventLog.parse(padded);
    assertThat(log.events()).hasSize(2);
    assertThat(log.paddingLength()).isEqualTo(64);
  }

  @Test
  void aNoActionEntryOnPcrFfffffffIsAnEntryAndTheEntriesAfterItAreKept()
      throws VerificationException {
    byte[] sep = new byte[4];
    byte[] log =
        LogBuilder.agile(SHA256)
            .event(0, SEPARATOR, sep)
            .event(0xFFFFFFFFL, NO_ACTION, "WBCL".getBytes())
            .event(4, SEPARATOR, sep)
            .build();
    TcgEventLog parsed = TcgEventLog.parse(log);
    assertThat(parsed.events()).hasSize(4);
    assertThat(parsed.events().get(2).pcr()).isEqualTo(TcgEventLog.NO_PCR);
    assertThat(parsed.events().get(2)).isInstanceOf(NoActionEvent.class);
    assertThat(parsed.events().get(3).pcr()).isEqualTo(4);
    assertThat(parsed.paddingLength()).isZero();
    byte[] pcr4 = PcrValues.extend(HashAlg.SHA256, new byte[32], HashAlg.SHA256.digest(sep));
    assertThat(parsed.replay().get(HashAlg.SHA256, 4)).hasValue(pcr4);
    assertThat(parsed.replay().indexes(HashAlg.SHA256)).containsExactly(0, 4);
  }

  @Test
  void aNoActionEntryOnPcrFfffffffInALegacyLogIsKept() throws VerificationException {
    byte[] sep = new byte[4];
    byte[] log =
        LogBuilder.legacy()
            .event(0, SEPARATOR, sep)
            .event(0xFFFFFFFFL, NO_ACTION, "WBCL".getBytes())
            .event(7, SEPARATOR, sep)
            .build();
    TcgEventLog parsed = TcgEventLog.parse(log);
    assertThat(parsed.events()).hasSize(3);
    assertThat(parsed.events().get(1).pcr()).isEqualTo(TcgEventLog.NO_PCR);
    assertThat(parsed.replay().indexes(HashAlg.SHA1)).containsExactly(0, 7);
  }

  @Test
  void anExtendingEntryOnPcrFfffffffIsMalformed() {
    byte[] log =
        LogBuilder.agile(SHA256)
            .event(0, SEPARATOR, new byte[4])
            .event(0xFFFFFFFFL, SEPARATOR, new byte[4])
            .build();
    VerificationException e =
        org.assertj.core.api.Assertions.catchThrowableOfType(
            VerificationException.class, () -> TcgEventLog.parse(log));
    assertThat(e.failure()).isEqualTo(Failure.MALFORMED);
    assertThat(e.getMessage()).contains("entry 2");
  }

  @Test
  void aZeroHeaderFollowedByMoreThanPaddingIsParsedAsAnEntry() throws VerificationException {
    // PCR 0, type 0 (EV_PREBOOT_CERT), then a digest and data: not padding, so not dropped
    byte[] sep = new byte[4];
    byte[] log =
        LogBuilder.agile(SHA256)
            .event(0, SEPARATOR, sep)
            .event(0, 0, "cert".getBytes())
            .event(4, SEPARATOR, sep)
            .build();
    TcgEventLog parsed = TcgEventLog.parse(log);
    assertThat(parsed.events()).hasSize(4);
    assertThat(parsed.events().get(2).type()).isZero();
    assertThat(parsed.replay().indexes(HashAlg.SHA256)).containsExactly(0, 4);
  }

  @Test
  void aPaddingLikeHeaderFollowedByATruncatedEntryFails() {
    byte[] body = LogBuilder.agile(SHA256).event(0, SEPARATOR, new byte[4]).build();
    byte[] tail = Arrays.copyOf(body, body.length + 20);
    Arrays.fill(tail, body.length, body.length + 4, (byte) 0xff);
    tail[body.length + 12] = 0x42; // a non-padding byte inside what would be a short entry
    VerificationException e =
        org.assertj.core.api.Assertions.catchThrowableOfType(
            VerificationException.class, () -> TcgEventLog.parse(tail));
    assertThat(e.failure()).isIn(Failure.TRUNCATED, Failure.MALFORMED);
  }

  @Test
  void goAttestationsWindowsOptionRomLogKeepsItsLastNoActionEntryAndReplaysAsItsSourceSays()
      throws VerificationException {
    var dir = resources().resolve("go-attestation");
    var facts = EventLogVectors.json(dir.resolve("expected.json")).get("option_rom_eventlog");
    TcgEventLog log = TcgEventLog.parse(read(dir.resolve("option_rom_eventlog")));
    assertThat(log.format()).isEqualTo(LogFormat.SHA1_LEGACY);
    assertThat(log.events()).hasSize(facts.get("events").asInt());
    TcgEvent last = log.events().get(facts.at("/last_entry/index").asInt());
    assertThat(last.typeName()).isEqualTo(facts.at("/last_entry/type").asText());
    assertThat(last.pcr()).isEqualTo(TcgEventLog.NO_PCR);
    assertThat(log.paddingLength()).isEqualTo(facts.get("bytes_after_last_entry").asInt());
    EventLogVectors.assertReplayMatches(
        log, EventLogVectors.pcrs(facts.get("expected_pcrs_from_source")), "option ROM log");
    assertThat(log.verifyDigests().digestMismatches()).isEmpty();
  }

  @Test
  void replayIgnoresNoActionEntriesAndStartsPcr0AtTheStartupLocality()
      throws VerificationException {
    byte[] sep = new byte[4];
    byte[] log =
        LogBuilder.agile(SHA1, SHA256)
            .event(0, NO_ACTION, LogBuilder.startupLocality(3))
            .event(0, SEPARATOR, sep)
            .event(5, NO_ACTION, "not measured".getBytes())
            .event(17, SEPARATOR, sep)
            .build();
    TcgEventLog parsed = TcgEventLog.parse(log);
    assertThat(parsed.startupLocality()).isEqualTo(3);
    PcrValues pcrs = parsed.replay();
    for (HashAlg bank : List.of(HashAlg.SHA1, HashAlg.SHA256)) {
      byte[] pcr0 = new byte[bank.size()];
      pcr0[bank.size() - 1] = 3;
      byte[] ones = new byte[bank.size()];
      Arrays.fill(ones, (byte) 0xff);
      assertThat(pcrs.indexes(bank)).containsExactly(0, 17);
      assertThat(Hex.encode(pcrs.get(bank, 0).orElseThrow()))
          .isEqualTo(Hex.encode(PcrValues.extend(bank, pcr0, bank.digest(sep))));
      assertThat(Hex.encode(pcrs.get(bank, 17).orElseThrow()))
          .isEqualTo(Hex.encode(PcrValues.extend(bank, ones, bank.digest(sep))));
    }
  }

  @Test
  void startupLocalityOnAnotherPcrDoesNotChangePcr0() throws VerificationException {
    byte[] log =
        LogBuilder.agile(SHA256).event(3, NO_ACTION, LogBuilder.startupLocality(4)).build();
    TcgEventLog parsed = TcgEventLog.parse(log);
    assertThat(parsed.startupLocality()).isZero();
    assertThat(parsed.hasStartupLocality()).isFalse();
    // nothing extends or initialises PCR 0, so replay does not claim a value for it
    assertThat(parsed.replay().indexes(HashAlg.SHA256)).isEmpty();
    assertThat(TcgEventLog.initialRegisters(HashAlg.SHA256, parsed.startupLocality())[0])
        .isEqualTo(new byte[32]);
  }

  @Test
  void aLegacyLogReplaysItsSha1DigestsOnly() throws VerificationException {
    byte[] log =
        LogBuilder.legacy()
            .event(0, EventType.EV_S_CRTM_VERSION.code(), new byte[] {'1', 0, 0, 0})
            .event(7, SEPARATOR, new byte[4])
            .build();
    TcgEventLog parsed = TcgEventLog.parse(log);
    assertThat(parsed.format()).isEqualTo(LogFormat.SHA1_LEGACY);
    assertThat(parsed.banks()).containsExactly(HashAlg.SHA1);
    assertThat(parsed.specIdEvent()).isEmpty();
    assertThat(parsed.replay().indexes(HashAlg.SHA1)).containsExactly(0, 7);
  }

  @Test
  void digestsHandedOutAreCopiesSoCallersCannotChangeTheReplay() throws VerificationException {
    byte[] log = LogBuilder.agile(SHA256).event(2, SEPARATOR, new byte[4]).build();
    TcgEventLog parsed = TcgEventLog.parse(log);
    byte[] before = parsed.replay().get(HashAlg.SHA256, 2).orElseThrow();
    parsed.events().get(1).digests().get(HashAlg.SHA256)[0] ^= 1;
    parsed.events().get(1).header().digest(HashAlg.SHA256).orElseThrow()[0] ^= 1;
    parsed.events().get(1).data()[0] ^= 1;
    assertThat(parsed.replay().get(HashAlg.SHA256, 2)).hasValue(before);
    assertThat(parsed.events().get(1).data()).containsOnly(0);
  }
}
