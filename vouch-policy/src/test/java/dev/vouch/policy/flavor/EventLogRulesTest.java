package dev.vouch.policy.flavor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ISecL's event-log rules ({@code PcrEventLogEquals}, {@code PcrEventLogIncludes}, {@code
 * PcrEventLogIntegrity}) over the real firmware log of the Google Compute Engine vector: flavors
 * are made from the verified host, then judged against the same host with a logged extra event, a
 * changed event, or a quote the log does not replay to. Expected PCR values are computed here with
 * the JDK's digests, not by the code under test.
 */
class EventLogRulesTest {
  private static final FlavorMatcher MATCHER = FlavorMatcher.withoutSignatureChecks();
  private static final List<HashAlg> BANKS = List.of(HashAlg.SHA256, HashAlg.SHA384);
  private static final long EV_IPL = 0xd;
  private static final String EVIL = "evil-config";

  static byte[] rawLog;
  static TcgEventLog log;
  static HostEvidence host;
  static HostFacts facts;

  @BeforeAll
  static void verifyTheRealEvidence() throws Exception {
    GceVector gce = GceVector.verified();
    rawLog = gce.rawLog();
    log = gce.log();
    facts =
        new HostFacts("gce-cos-85", "", "Container-Optimized OS", "85", "Google", "Google", "2.0");
    host = HostEvidence.fromVerified(gce.claims(), Optional.of(log), facts);
  }

  /** A one-part template: PCR {@code pcr} in each of SHA-256 and SHA-384, with this event rule. */
  private static Flavor flavor(int pcr, boolean pcrMatches, String eventRule) throws Exception {
    StringBuilder rules = new StringBuilder();
    for (HashAlg bank : BANKS) {
      if (rules.length() > 0) {
        rules.append(',');
      }
      rules.append(
          String.format(
              "{\"pcr\":{\"index\":%d,\"bank\":[\"%s\"]},\"pcr_matches\":%b,%s}",
              pcr, Banks.name(bank), pcrMatches, eventRule));
    }
    String json =
        "{\"label\":\"t\",\"flavor_parts\":{\"PLATFORM\":{\"meta\":{},\"pcr_rules\":["
            + rules
            + "]}}}";
    return FlavorFactory.standard()
        .fromHost(host, FlavorTemplate.parse(json.getBytes(StandardCharsets.UTF_8), false))
        .get(0);
  }

  private static FlavorResult judge(Flavor f, HostEvidence h) {
    return MATCHER.evaluate(SignedFlavor.unsigned(f), h);
  }

  private static List<FlavorRuleResult> rules(FlavorResult r, String name) {
    return r.rules().stream().filter(x -> x.ruleName().equals(name)).toList();
  }

  private static byte[] digest(HashAlg bank, byte[]... parts) throws Exception {
    MessageDigest md = MessageDigest.getInstance(bank == HashAlg.SHA256 ? "SHA-256" : "SHA-384");
    for (byte[] p : parts) {
      md.update(p);
    }
    return md.digest();
  }

  /** The GCE log with one more crypto-agile EV_IPL entry on PCR 1, as a boot loader logs one. */
  private static byte[] logWithExtraEvent(byte[] data) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(rawLog);
    ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    head.putInt(1).putInt((int) EV_IPL).putInt(log.banks().size());
    out.write(head.array());
    for (HashAlg bank : log.banks()) {
      ByteBuffer alg = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
      alg.putShort((short) bank.tpmId());
      out.write(alg.array());
      MessageDigest md = MessageDigest.getInstance(bank.jcaName());
      out.write(md.digest(data));
    }
    ByteBuffer size = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    size.putInt(data.length);
    out.write(size.array());
    out.write(data);
    return out.toByteArray();
  }

  /** The quoted PCRs with {@code pcr} in every bank replaced. */
  private static PcrValues withPcr(int pcr, Map<HashAlg, byte[]> values) {
    PcrValues.Builder b = PcrValues.builder();
    for (HashAlg bank : host.pcrs().banks()) {
      for (int i : host.pcrs().indexes(bank)) {
        byte[] v = host.pcrs().get(bank, i).orElseThrow();
        b.put(bank, i, i == pcr && values.containsKey(bank) ? values.get(bank) : v);
      }
    }
    return b.build();
  }

  /** A host whose firmware log has {@code evil-config} logged and extended into PCR 1. */
  private static HostEvidence hostWithEvilConfig() throws Exception {
    byte[] data = (EVIL + "\0").getBytes(StandardCharsets.US_ASCII);
    TcgEventLog changed = TcgEventLog.parse(logWithExtraEvent(data));
    Map<HashAlg, byte[]> pcr1 = new TreeMap<>();
    for (HashAlg bank : BANKS) {
      byte[] before = host.pcrs().get(bank, 1).orElseThrow();
      pcr1.put(bank, digest(bank, before, digest(bank, data)));
    }
    return HostEvidence.of(
        facts,
        withPcr(1, pcr1),
        true,
        Optional.of(changed),
        Optional.of(changed.secureBoot()),
        host.resetCount().orElseThrow());
  }

  @Test
  void theFlavorMadeFromTheHostCarriesPcr1EventsAndPassesEveryEventRule() throws Exception {
    Flavor f = flavor(1, true, "\"eventlog_equals\":{}");
    assertThat(f.pcrs()).extracting(PcrRule::bank).containsExactlyElementsOf(BANKS);
    assertThat(f.pcrs())
        .allSatisfy(r -> assertThat(r.eventlogEquals().orElseThrow().events()).isNotEmpty());
    FlavorResult r = judge(f, host);
    assertThat(r.faults()).isEmpty();
    assertThat(rules(r, FlavorRuleResult.PCR_EVENT_LOG_EQUALS)).hasSize(2);
    assertThat(rules(r, FlavorRuleResult.PCR_EVENT_LOG_INTEGRITY)).hasSize(2);
  }

  @Test
  void aLoggedExtraEventInPcr1FailsEventLogEqualsInEachBankNamingTheEvent() throws Exception {
    Flavor f = flavor(1, false, "\"eventlog_equals\":{}");
    HostEvidence evil = hostWithEvilConfig();
    FlavorResult r = judge(f, evil);
    assertThat(r.trusted()).isFalse();
    int extraIndex = log.events().size();
    byte[] data = (EVIL + "\0").getBytes(StandardCharsets.US_ASCII);
    List<FlavorRuleResult> equals = rules(r, FlavorRuleResult.PCR_EVENT_LOG_EQUALS);
    assertThat(equals).hasSize(2);
    for (FlavorRuleResult rule : equals) {
      HashAlg bank = rule.bank().orElseThrow();
      assertThat(rule.faults())
          .extracting(Fault::name)
          .containsExactly(Fault.PCR_EVENT_LOG_CONTAINS_UNEXPECTED_ENTRIES);
      Fault fault = rule.faults().get(0);
      assertThat(fault.pcrIndex()).hasValue(1);
      assertThat(fault.entries()).hasSize(1);
      FlavorEvent e = fault.entries().get(0);
      assertThat(e.index()).hasValue(extraIndex);
      assertThat(e.typeId()).isEqualTo(EV_IPL);
      assertThat(e.typeName()).isEqualTo("EV_IPL");
      assertThat(e.measurement()).isEqualTo(Hex.encode(digest(bank, data)));
      assertThat(e.description()).isEqualTo(EVIL);
      assertThat(fault.description())
          .contains("#" + extraIndex, "EV_IPL", e.measurement(), "\"" + EVIL + "\"");
    }
    // the event was logged and extended, so the log still adds up to the quote
    assertThat(rules(r, FlavorRuleResult.PCR_EVENT_LOG_INTEGRITY))
        .allSatisfy(x -> assertThat(x.trusted()).isTrue());
  }

  @Test
  void eventLogIncludesAllowsAnExtraEventButNamesAMissingOne() throws Exception {
    // every PCR 1 event is listed by digest; tags select which ones a template copies, so the
    // rule is built here from the host's own events
    List<PcrRule> rulesFromHost = new ArrayList<>();
    for (HashAlg bank : BANKS) {
      List<FlavorEvent> events = host.eventsOf(bank, 1).orElseThrow();
      rulesFromHost.add(
          new PcrRule(
              1,
              bank,
              Hex.encode(host.pcrs().get(bank, 1).orElseThrow()),
              false,
              Optional.empty(),
              Optional.of(events)));
    }
    Flavor includes =
        Synthetic.flavor(FlavorPart.PLATFORM, 1, rulesFromHost.toArray(PcrRule[]::new));
    assertThat(judge(includes, hostWithEvilConfig()).faults()).isEmpty();

    // an expected event the host did not log: named by type and digest
    FlavorEvent absent = new FlavorEvent(EV_IPL, "EV_IPL", List.of("grub.cfg"), "5a".repeat(32));
    PcrRule wantsMore =
        new PcrRule(
            1,
            HashAlg.SHA256,
            Hex.encode(host.pcrs().get(HashAlg.SHA256, 1).orElseThrow()),
            false,
            Optional.empty(),
            Optional.of(List.of(absent)));
    FlavorResult r = judge(Synthetic.flavor(FlavorPart.PLATFORM, 2, wantsMore), host);
    List<FlavorRuleResult> inc = rules(r, FlavorRuleResult.PCR_EVENT_LOG_INCLUDES);
    assertThat(inc).hasSize(1);
    assertThat(inc.get(0).faults())
        .extracting(Fault::name)
        .containsExactly(Fault.PCR_EVENT_LOG_MISSING_EXPECTED_ENTRIES);
    assertThat(inc.get(0).faults().get(0).entries()).containsExactly(absent);
    assertThat(inc.get(0).faults().get(0).description()).contains("EV_IPL", "5a".repeat(32));
  }

  /**
   * The host with the digest of one PCR 1 event changed in every bank, PCR 1 recomputed from the
   * changed events (so the log still replays) and the event's index kept.
   */
  private static HostEvidence hostWithChangedEvent(FlavorEvent target) throws Exception {
    Map<HashAlg, Map<Integer, List<FlavorEvent>>> events = new LinkedHashMap<>();
    Map<HashAlg, byte[]> pcr1 = new TreeMap<>();
    for (var bankEntry : host.events().entrySet()) {
      HashAlg bank = bankEntry.getKey();
      Map<Integer, List<FlavorEvent>> byPcr = new TreeMap<>(bankEntry.getValue());
      List<FlavorEvent> list = new ArrayList<>();
      byte[] value = new byte[bank.size()];
      for (FlavorEvent e : byPcr.getOrDefault(1, List.of())) {
        FlavorEvent x = e;
        if (e.index().equals(target.index())) {
          byte[] d = Hex.decode(e.measurement());
          d[0] ^= 1;
          x =
              new FlavorEvent(
                  e.typeId(), e.typeName(), e.tags(), Hex.encode(d), e.index(), e.description());
        }
        list.add(x);
        if (BANKS.contains(bank)) {
          value = digest(bank, value, Hex.decode(x.measurement()));
        }
      }
      byPcr.put(1, list);
      events.put(bank, byPcr);
      if (BANKS.contains(bank)) {
        pcr1.put(bank, value);
      }
    }
    return new HostEvidence(
        facts,
        withPcr(1, pcr1),
        events,
        true,
        host.secureBoot(),
        OptionalLong.of(host.resetCount().orElseThrow()),
        Optional.empty());
  }

  @Test
  void anEventOfAnExcludedTypeMayChangeAndEqualsStillPasses() throws Exception {
    List<FlavorEvent> pcr1 = host.eventsOf(HashAlg.SHA256, 1).orElseThrow();
    FlavorEvent target =
        pcr1.stream().filter(e -> !e.typeName().equals("EV_SEPARATOR")).findFirst().orElseThrow();
    HostEvidence changed = hostWithChangedEvent(target);

    Flavor excluding =
        flavor(
            1, false, "\"eventlog_equals\":{\"excluding_types\":[\"" + target.typeName() + "\"]}");
    assertThat(excluding.pcrs())
        .allSatisfy(
            r ->
                assertThat(r.eventlogEquals().orElseThrow().events())
                    .noneMatch(e -> e.typeName().equals(target.typeName())));
    FlavorResult ok = judge(excluding, changed);
    assertThat(ok.faults()).isEmpty();
    assertThat(rules(ok, FlavorRuleResult.PCR_EVENT_LOG_EQUALS_EXCLUDING)).hasSize(2);

    // without the exclusion the same change is named, at its place in the log
    FlavorResult bad = judge(flavor(1, false, "\"eventlog_equals\":{}"), changed);
    List<FlavorRuleResult> equals = rules(bad, FlavorRuleResult.PCR_EVENT_LOG_EQUALS);
    assertThat(equals).hasSize(2);
    for (FlavorRuleResult rule : equals) {
      assertThat(rule.faults())
          .extracting(Fault::name)
          .containsExactly(
              Fault.PCR_EVENT_LOG_CONTAINS_UNEXPECTED_ENTRIES,
              Fault.PCR_EVENT_LOG_MISSING_EXPECTED_ENTRIES);
      FlavorEvent named = rule.faults().get(0).entries().get(0);
      assertThat(named.index()).isEqualTo(target.index());
      assertThat(named.typeName()).isEqualTo(target.typeName());
    }
  }

  @Test
  void integrityIsTheReplayOfTheFlavorsEventsEqualToTheQuotedPcr() throws Exception {
    for (int pcr = 1; pcr <= 7; pcr++) {
      Flavor f = flavor(pcr, true, "\"eventlog_equals\":{}");
      for (PcrRule r : f.pcrs()) {
        byte[] value = new byte[r.bank().size()];
        for (FlavorEvent e : r.eventlogEquals().orElseThrow().events()) {
          if (e.typeId() != FlavorEvent.EV_NO_ACTION) {
            value = digest(r.bank(), value, Hex.decode(e.measurement()));
          }
        }
        assertThat(Hex.encode(value))
            .as("%s PCR %d", r.bank(), pcr)
            .isEqualTo(Hex.encode(host.pcrs().get(r.bank(), pcr).orElseThrow()));
      }
      assertThat(rules(judge(f, host), FlavorRuleResult.PCR_EVENT_LOG_INTEGRITY))
          .hasSize(2)
          .allSatisfy(x -> assertThat(x.trusted()).isTrue());
    }
  }

  @Test
  void pcr0EventsReplayToTheQuotedValue() throws Exception {
    Flavor f = flavor(0, true, "\"eventlog_equals\":{}");
    assertThat(judge(f, host).faults()).isEmpty();
  }

  @Test
  void aQuotedPcrTheLogDoesNotReplayToFailsIntegrityInThatBankOnly() throws Exception {
    byte[] flipped = host.pcrs().get(HashAlg.SHA256, 1).orElseThrow();
    flipped[31] ^= 1;
    HostEvidence h = host.withPcrs(withPcr(1, Map.of(HashAlg.SHA256, flipped)));
    FlavorResult r = judge(flavor(1, false, "\"eventlog_equals\":{}"), h);
    List<FlavorRuleResult> integrity = rules(r, FlavorRuleResult.PCR_EVENT_LOG_INTEGRITY);
    assertThat(integrity).hasSize(2);
    for (FlavorRuleResult rule : integrity) {
      if (rule.bank().orElseThrow() == HashAlg.SHA256) {
        assertThat(rule.faults())
            .extracting(Fault::name)
            .containsExactly(Fault.PCR_EVENT_LOG_INVALID);
        assertThat(rule.faults().get(0).description()).contains(Hex.encode(flipped));
      } else {
        assertThat(rule.trusted()).isTrue();
      }
    }
    // the events themselves are unchanged
    assertThat(rules(r, FlavorRuleResult.PCR_EVENT_LOG_EQUALS))
        .allSatisfy(x -> assertThat(x.trusted()).isTrue());
  }

  @Test
  void excludedTypesAndEventPositionsSurviveTheJson() throws Exception {
    Flavor f =
        flavor(1, false, "\"eventlog_equals\":{\"excluding_types\":[\"EV_EFI_VARIABLE_BOOT\"]}");
    Flavor back = FlavorJson.read(FlavorJson.write(f));
    assertThat(back.pcrs().get(0).eventlogEquals().orElseThrow().excludeTypes())
        .containsExactly("EV_EFI_VARIABLE_BOOT");
    assertThat(FlavorJson.write(f).toString())
        .contains("\"exclude_types\":[\"EV_EFI_VARIABLE_BOOT\"]");

    FlavorEvent fromLog = host.eventsOf(HashAlg.SHA256, 1).orElseThrow().get(0);
    List<FlavorEvent> read = FlavorJson.readEvents(FlavorJson.writeEvents(List.of(fromLog)));
    assertThat(read).containsExactly(fromLog);
  }

  @Test
  void anEventIndexThatIsNotANonNegativeIntegerIsMalformed() {
    for (String index : List.of("-1", "\"3\"", "1.5")) {
      String json =
          "[{\"type_id\":\"0xd\",\"type_name\":\"EV_IPL\",\"measurement\":\""
              + "00".repeat(32)
              + "\",\"index\":"
              + index
              + "}]";
      assertThatThrownBy(() -> FlavorJson.readEvents(FlavorJson.MAPPER.readTree(json)))
          .isInstanceOf(VerificationException.class)
          .extracting(e -> ((VerificationException) e).failure())
          .isEqualTo(Failure.MALFORMED);
    }
  }

  @Test
  void aHostWithoutAVerifiedLogGetsFlavorsWithPcrValuesButNoEventRules() throws Exception {
    HostEvidence unverified =
        new HostEvidence(
            facts,
            host.pcrs(),
            java.util.Map.of(),
            false,
            host.secureBoot(),
            host.resetCount(),
            Optional.empty());
    String json =
        "{\"label\":\"t\",\"flavor_parts\":{\"PLATFORM\":{\"meta\":{},\"pcr_rules\":["
            + "{\"pcr\":{\"index\":1,\"bank\":[\"SHA256\"]},\"pcr_matches\":true,"
            + "\"eventlog_equals\":{}}]}}}";
    Flavor f =
        FlavorFactory.standard()
            .fromHost(
                unverified, FlavorTemplate.parse(json.getBytes(StandardCharsets.UTF_8), false))
            .get(0);
    assertThat(f.pcrs()).hasSize(1);
    assertThat(f.pcrs().get(0).pcrMatches()).isTrue();
    assertThat(f.pcrs().get(0).eventlogEquals()).isEmpty();
    assertThat(f.pcrs().get(0).eventlogIncludes()).isEmpty();
  }

  /**
   * ISecL's own host manifest (its verifier's test data) tags PCR 0's StartupLocality event {@code
   * StartupLocality3}: PCR 0 replays to the manifest's value only from locality 3.
   */
  @Test
  void pcr0OfTheIseclManifestReplaysFromLocalityThreeAndFailsWithoutIt() throws Exception {
    HostEvidence isecl =
        HostEvidence.fromIseclManifest(Vectors.read("ca-data/intel-secl/host_manifest.json"));
    List<FlavorEvent> pcr0 = isecl.eventsOf(HashAlg.SHA256, 0).orElseThrow();
    assertThat(pcr0.get(0).tags()).containsExactly("StartupLocality3");
    PcrRule rule =
        new PcrRule(
            0,
            HashAlg.SHA256,
            Hex.encode(isecl.pcrs().get(HashAlg.SHA256, 0).orElseThrow()),
            false,
            Optional.of(new PcrRule.EventLogEquals(pcr0, List.of())),
            Optional.empty());
    Flavor f = Synthetic.flavor(FlavorPart.PLATFORM, 3, rule);
    assertThat(judge(f, isecl).faults()).isEmpty();

    // the same events without the locality tag replay from zero and miss the quoted value
    List<FlavorEvent> untagged = new ArrayList<>(pcr0);
    FlavorEvent loc = untagged.get(0);
    untagged.set(
        0,
        new FlavorEvent(
            loc.typeId(), loc.typeName(), List.of(), loc.measurement(), loc.index(), ""));
    Map<HashAlg, Map<Integer, List<FlavorEvent>>> events = new LinkedHashMap<>(isecl.events());
    Map<Integer, List<FlavorEvent>> sha256 = new TreeMap<>(events.get(HashAlg.SHA256));
    sha256.put(0, untagged);
    events.put(HashAlg.SHA256, sha256);
    HostEvidence noLocality =
        new HostEvidence(
            isecl.host(),
            isecl.pcrs(),
            events,
            true,
            isecl.secureBoot(),
            isecl.resetCount(),
            Optional.empty());
    List<FlavorRuleResult> integrity =
        rules(judge(f, noLocality), FlavorRuleResult.PCR_EVENT_LOG_INTEGRITY);
    assertThat(integrity).hasSize(1);
    assertThat(integrity.get(0).faults())
        .extracting(Fault::name)
        .containsExactly(Fault.PCR_EVENT_LOG_INVALID);
  }
}
