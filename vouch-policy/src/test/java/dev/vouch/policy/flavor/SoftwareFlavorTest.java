package dev.vouch.policy.flavor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.protocol.SoftwareMeasurement;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SOFTWARE flavors from the agent's PCR 15 measurements: made from a host, carried through ISecL
 * JSON, matched, and a changed or missing file named by its path.
 */
class SoftwareFlavorTest {
  private static final String TEMPLATE =
      """
      {"label": "software", "flavor_parts": {"SOFTWARE": {"pcr_rules": [
        {"pcr": {"index": 15, "bank": ["SHA256"]}, "pcr_matches": false, "eventlog_equals": {}}]}}}
      """;

  private static SoftwareMeasurement file(String path, String content) {
    return new SoftwareMeasurement(
        path, HashAlg.SHA256.digest(content.getBytes(StandardCharsets.UTF_8)));
  }

  /** A host whose quoted PCR 15 is what {@code log} extends it to. */
  private static HostEvidence host(List<SoftwareMeasurement> log) {
    HostEvidence h = Synthetic.host();
    PcrValues.Builder pcrs = PcrValues.builder();
    for (HashAlg b : h.pcrs().banks()) {
      for (int i = 0; i < 24; i++) {
        int index = i;
        h.pcrs().get(b, i).ifPresent(v -> pcrs.put(b, index, v));
      }
    }
    pcrs.put(HashAlg.SHA256, SoftwareMeasurement.PCR, SoftwareMeasurement.replay(log));
    return h.withPcrs(pcrs.build()).withSoftware(log);
  }

  private static SignedFlavor made(HostEvidence h) throws Exception {
    List<Flavor> f =
        FlavorFactory.standard()
            .fromHost(h, FlavorTemplate.parse(TEMPLATE.getBytes(StandardCharsets.UTF_8), true));
    return SignedFlavor.unsigned(f.get(0));
  }

  @Test
  void aSoftwareFlavorListsEachFileAndNamesTheOneThatChanged() throws Exception {
    List<SoftwareMeasurement> log = List.of(file("/opt/app/run", "v1"), file("/opt/app/conf", "a"));
    SignedFlavor f = made(host(log));
    assertThat(f.flavor().part()).isEqualTo(FlavorPart.SOFTWARE);
    assertThat(f.flavor().pcrs().get(0).eventlogEquals().orElseThrow().events())
        .extracting(e -> e.tags().get(0), FlavorEvent::typeName)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("/opt/app/run", FlavorEvent.SOFTWARE_FILE_TYPE),
            org.assertj.core.groups.Tuple.tuple("/opt/app/conf", FlavorEvent.SOFTWARE_FILE_TYPE));
    // the flavor survives ISecL JSON
    assertThat(FlavorJson.readSigned(FlavorJson.writeSigned(f))).isEqualTo(f);

    FlavorMatcher m = FlavorMatcher.withoutSignatureChecks();
    assertThat(m.evaluate(f, host(log)).trusted()).isTrue();
    // measured again in the same boot, unchanged: the same digests, still trusted
    List<SoftwareMeasurement> twice = List.of(log.get(0), log.get(1), log.get(0), log.get(1));
    assertThat(m.evaluate(f, host(twice)).trusted()).isTrue();

    FlavorResult changed =
        m.evaluate(f, host(List.of(file("/opt/app/run", "v2"), file("/opt/app/conf", "a"))));
    assertThat(changed.trusted()).isFalse();
    assertThat(changed.faults())
        .extracting(Fault::name)
        .containsExactlyInAnyOrder(
            Fault.PCR_EVENT_LOG_CONTAINS_UNEXPECTED_ENTRIES,
            Fault.PCR_EVENT_LOG_MISSING_EXPECTED_ENTRIES);
    assertThat(changed.faults().get(0).description())
        .contains("PCR 15")
        .contains("VOUCH_SOFTWARE_FILE")
        .contains("\"/opt/app/run\"");

    FlavorResult gone =
        m.evaluate(
            f,
            host(
                List.of(
                    new SoftwareMeasurement("/opt/app/run", SoftwareMeasurement.ABSENT),
                    file("/opt/app/conf", "a"))));
    assertThat(gone.faults())
        .anySatisfy(x -> assertThat(x.description()).contains("\"/opt/app/run (absent)\""));
  }

  @Test
  void aLogThatDoesNotReplayToPcr15FailsIntegrity() throws Exception {
    List<SoftwareMeasurement> log = List.of(file("/opt/app/run", "v1"));
    SignedFlavor f = made(host(log));
    HostEvidence lying = host(List.of(file("/opt/app/run", "v2"))).withSoftware(log);
    assertThat(FlavorMatcher.withoutSignatureChecks().evaluate(f, lying).faults())
        .extracting(Fault::name)
        .containsExactly(Fault.PCR_EVENT_LOG_INVALID);
  }

  @Test
  void aHostThatMeasuredNoSoftwareMakesNoSoftwareFlavor() {
    assertThatThrownBy(() -> made(host(List.of())))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("PCR 15 has no verified events")
        .extracting(e -> ((VerificationException) e).failure())
        .isEqualTo(Failure.PCR_VALUES_MISSING);
  }
}
