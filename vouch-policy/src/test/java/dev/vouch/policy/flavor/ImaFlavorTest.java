package dev.vouch.policy.flavor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.ima.ImaLog;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** IMA flavors from a real Keylime IMA list: taken from the host, matched, and a changed file. */
class ImaFlavorTest {
  private static FlavorTemplate imaTemplate() throws Exception {
    String json =
        """
        {"label": "default-ima", "condition": ["tpm.version == '2.0'"],
         "flavor_parts": {"IMA": {"meta": {"vendor": "Linux"},
           "pcr_rules": [{"pcr": {"index": 10, "bank": ["SHA384", "SHA256"]}, "pcr_matches": true}]}}}
        """;
    return FlavorTemplate.parse(json.getBytes(StandardCharsets.UTF_8), true);
  }

  @Test
  void anImaFlavorFromTheHostMatchesItAndFlagsAChangedFile() throws Exception {
    ImaLog log = ImaLog.parseAscii(Vectors.read("ima/keylime-ima-log-sha256"));
    List<ImaMeasurement> files = ImaMeasurement.fromLog(log, log.size());
    assertThat(files).extracting(ImaMeasurement::file).containsExactly("boot_aggregate", "/data");
    // PCR 10 as the quote would hold it after this list (SHA-256 bank, per-bank template hashes)
    PcrValues pcr10 =
        log.replay(
            java.util.Set.of(HashAlg.SHA256), dev.vouch.evidence.tpm.ima.ImaReplayMode.values()[0]);
    HostEvidence host = Synthetic.host().withPcrs(pcr10).withIma(files);

    List<Flavor> flavors = FlavorFactory.standard().fromHost(host, imaTemplate());
    assertThat(flavors)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.part()).isEqualTo(FlavorPart.IMA);
              assertThat(f.ima()).contains(files);
              assertThat(f.meta().describe("digest_algorithm")).contains("SHA256");
              assertThat(f.pcrs())
                  .singleElement()
                  .satisfies(r -> assertThat(r.index()).isEqualTo(10));
            });
    // IMA flavors survive the ISecL JSON round trip
    SignedFlavor signed = SignedFlavor.unsigned(flavors.get(0));
    assertThat(FlavorJson.readSigned(FlavorJson.writeSigned(signed))).isEqualTo(signed);

    FlavorMatcher m = FlavorMatcher.withoutSignatureChecks();
    assertThat(m.evaluate(signed, host).trusted()).isTrue();
    HostEvidence changed =
        host.withIma(List.of(files.get(0), new ImaMeasurement("/data", "ee".repeat(32))));
    FlavorResult r = m.evaluate(signed, changed);
    assertThat(r.faults())
        .extracting(Fault::name)
        .containsExactly(Fault.IMA_EVENT_LOG_MISMATCHED_ENTRIES);
    assertThat(r.faults().get(0).entries().get(0).tags()).containsExactly("/data");
  }

  @Test
  void onlyTheQuotedPrefixOfTheListCounts() throws Exception {
    ImaLog log = ImaLog.parseAscii(Vectors.read("ima/keylime-ima-log-sha256"));
    assertThat(ImaMeasurement.fromLog(log, 1))
        .extracting(ImaMeasurement::file)
        .containsExactly("boot_aggregate");
    assertThat(ImaMeasurement.fromLog(log, 99)).hasSize(2);
  }

  private static HostEvidence withFiles(String... pathsAndDigests) {
    List<ImaMeasurement> list = new java.util.ArrayList<>();
    list.add(new ImaMeasurement("boot_aggregate", "ab".repeat(32)));
    for (int i = 0; i < pathsAndDigests.length; i += 2) {
      list.add(new ImaMeasurement(pathsAndDigests[i], pathsAndDigests[i + 1].repeat(32)));
    }
    return Synthetic.host().withIma(list);
  }

  private static SignedFlavor incremental(HostEvidence host) throws Exception {
    String json =
        """
        {"label": "incremental-ima", "flavor_parts": {"IMA": {"meta": {"ima_baseline": "prefix"}}}}
        """;
    Flavor f =
        FlavorFactory.standard()
            .fromHost(host, FlavorTemplate.parse(json.getBytes(StandardCharsets.UTF_8), true))
            .get(0);
    assertThat(f.meta().describe(FlavorMatcher.IMA_BASELINE))
        .contains(FlavorMatcher.IMA_BASELINE_PREFIX);
    return SignedFlavor.unsigned(f);
  }

  @Test
  void anIncrementalBaselinePassesALongerListThatBeginsWithIt() throws Exception {
    SignedFlavor base = incremental(withFiles("/usr/bin/a", "01", "/usr/bin/b", "02"));
    FlavorMatcher m = FlavorMatcher.withoutSignatureChecks();
    // files measured for the first time after the baseline, and another boot_aggregate
    HostEvidence later =
        withFiles("/usr/bin/a", "01", "/usr/bin/b", "02", "/usr/bin/c", "03", "/usr/bin/a", "01");
    assertThat(m.evaluate(base, later).trusted()).isTrue();
    assertThat(m.evaluate(base, later.withIma(later.ima().orElseThrow().subList(1, 5))).trusted())
        .isTrue();
  }

  @Test
  void anIncrementalBaselineFailsAChangedFileByName() throws Exception {
    SignedFlavor base = incremental(withFiles("/usr/bin/a", "01", "/usr/bin/b", "02"));
    FlavorMatcher m = FlavorMatcher.withoutSignatureChecks();
    // the file changed before it was measured
    FlavorResult inPrefix = m.evaluate(base, withFiles("/usr/bin/a", "01", "/usr/bin/b", "ee"));
    assertThat(inPrefix.trusted()).isFalse();
    assertThat(inPrefix.faults())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.name()).isEqualTo(Fault.IMA_EVENT_LOG_MISMATCHED_ENTRIES);
              assertThat(f.description()).contains("/usr/bin/b").contains("ee".repeat(32));
            });
    // the file changed after the baseline and was measured again
    FlavorResult later =
        m.evaluate(
            base,
            withFiles("/usr/bin/a", "01", "/usr/bin/b", "02", "/usr/bin/a", "ff", "/x", "0a"));
    assertThat(later.faults())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.name()).isEqualTo(Fault.IMA_EVENT_LOG_MISMATCHED_ENTRIES);
              assertThat(f.description()).contains("/usr/bin/a").doesNotContain("/x");
            });
  }

  @Test
  void anIncrementalBaselineFailsAShorterOrReorderedList() throws Exception {
    SignedFlavor base = incremental(withFiles("/usr/bin/a", "01", "/usr/bin/b", "02"));
    FlavorMatcher m = FlavorMatcher.withoutSignatureChecks();
    assertThat(m.evaluate(base, withFiles("/usr/bin/a", "01")).faults())
        .extracting(Fault::name)
        .containsExactly(Fault.IMA_EVENT_LOG_MISSING_EXPECTED_ENTRIES);
    assertThat(m.evaluate(base, withFiles("/usr/bin/b", "02", "/usr/bin/a", "01")).faults())
        .extracting(Fault::name)
        .containsExactly(Fault.IMA_EVENT_LOG_MISSING_EXPECTED_ENTRIES);
    assertThat(m.evaluate(base, Synthetic.host()).faults())
        .extracting(Fault::name)
        .containsExactly(Fault.IMA_EVENT_LOG_MISSING);
  }
}
