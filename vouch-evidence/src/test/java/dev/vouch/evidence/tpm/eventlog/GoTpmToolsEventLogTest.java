package dev.vouch.evidence.tpm.eventlog;

import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.assertReplayMatches;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.banks;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.format;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.json;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.pcrs;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.read;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.resources;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.VerificationException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fourteen real logs of go-tpm-tools (GCE Shielded and Confidential VMs, a gLinux laptop, an
 * Arch workstation, a GDC host) with the PCR values go-tpm-tools asserts for them. Runs from test
 * resources alone: {@code go-tpm-tools/expected.json} holds those PCRs plus the event counts,
 * startup locality and SecureBoot byte our research recorded for each log.
 */
class GoTpmToolsEventLogTest {
  private static final Path DIR = resources().resolve("go-tpm-tools");

  static Stream<String> logs() {
    List<String> names = new ArrayList<>();
    json(DIR.resolve("expected.json")).fieldNames().forEachRemaining(names::add);
    assertThat(names).hasSize(14);
    return names.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("logs")
  void replayEqualsThePcrsTheSourceAsserts(String name) throws VerificationException {
    JsonNode e = json(DIR.resolve("expected.json")).get(name);
    TcgEventLog log = TcgEventLog.parse(read(DIR.resolve(name)));

    assertThat(log.events()).hasSize(e.get("events").asInt());
    assertThat(log.format()).isEqualTo(format(e.get("format").asText()));
    assertThat(log.banks()).containsExactlyElementsOf(banks(e.get("banks")));
    assertThat(log.startupLocality()).isEqualTo(e.get("startup_locality").asInt());
    assertReplayMatches(log, pcrs(e.get("expected_pcrs_from_source")), name);

    JsonNode sb = e.get("secure_boot_value");
    Optional<Boolean> expected =
        sb.isNull() ? Optional.empty() : Optional.of(sb.asText().equals("01"));
    assertThat(log.secureBoot().secureBootEnabled()).as(name + " SecureBoot").isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("logs")
  void everyEventDataDecodesWithoutFallingBackToOpaque(String name) throws VerificationException {
    TcgEventLog log = TcgEventLog.parse(read(DIR.resolve(name)));
    assertThat(log.events())
        .filteredOn(ev -> ev instanceof OpaqueEvent o && o.decodeError().isPresent())
        .isEmpty();
  }
}
