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
}
