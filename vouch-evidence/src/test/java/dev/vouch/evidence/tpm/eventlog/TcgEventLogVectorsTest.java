package dev.vouch.evidence.tpm.eventlog;

import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.assertReplayMatches;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.banks;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.format;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.json;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.pcrFile;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.pcrs;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.read;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.resources;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.testing.ResearchData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every log of {@code vectors/tpm-eventlog/expected.json}: entry count, format, banks, startup
 * locality, replayed PCRs in every form the file gives them (PCRs asserted by the source, PCR
 * listing files, and the research replay), the measured Secure Boot variables and the SecureBoot
 * value. Copied logs run from test resources; the GPL logs run from the research folder only.
 */
class TcgEventLogVectorsTest {

  static Stream<String> copiedLogs() {
    List<String> names = new ArrayList<>();
    json(resources().resolve("expected.json")).fieldNames().forEachRemaining(names::add);
    return names.stream();
  }

  static Stream<String> researchLogs() {
    List<String> names = new ArrayList<>();
    json(ResearchData.vectors("tpm-eventlog").resolve("expected.json"))
        .fieldNames()
        .forEachRemaining(names::add);
    return names.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("copiedLogs")
  void copiedLogReplaysAndDecodesAsItsExpectationsSay(String name) throws VerificationException {
    Path dir = resources();
    check(dir, name, json(dir.resolve("expected.json")).get(name));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("researchLogs")
  void researchLogReplaysAndDecodesAsExpectedJsonSays(String name) throws VerificationException {
    Path dir = ResearchData.vectors("tpm-eventlog");
    check(dir, name, json(dir.resolve("expected.json")).get(name));
  }

  @Test
  void everyResearchLogThatMayBeCopiedIsInTestResources() {
    List<String> copied = copiedLogs().toList();
    assertThat(researchLogs().filter(n -> !n.startsWith("ima-evm-utils/")))
        .containsExactlyInAnyOrderElementsOf(copied);
    for (String name : copied) {
      assertThat(read(resources().resolve(name)))
          .as(name)
          .isEqualTo(read(ResearchData.vectors("tpm-eventlog").resolve(name)));
    }
  }

  static void check(Path dir, String name, JsonNode e) throws VerificationException {
    TcgEventLog log = TcgEventLog.parse(read(dir.resolve(name)));
    assertThat(log.events()).as(name + " events").hasSize(e.get("events").asInt());
    assertThat(log.format()).isEqualTo(format(e.get("format").asText()));
    assertThat(log.banks()).containsExactlyElementsOf(banks(e.get("banks")));
    if (e.has("startup_locality")) {
      assertThat(log.startupLocality()).isEqualTo(e.get("startup_locality").asInt());
    }
    int forms = 0;
    for (String key :
        List.of("expected_pcrs_from_source", "computed_pcrs_by_us", "computed_pcrs")) {
      if (e.has(key)) {
        assertReplayMatches(log, pcrs(e.get(key)), name + " " + key);
        forms++;
      }
    }
    if (e.has("expected_pcrs_file")) {
      Path file = dir.resolve(e.get("expected_pcrs_file").asText());
      assertThat(assertReplayMatches(log, pcrFile(file), name + " vs " + file)).isEqualTo(24);
      forms++;
    }
    if (e.has("expected_sha1_pcrs_file")) {
      Map<HashAlg, Map<Integer, byte[]>> expected =
          pcrFile(dir.resolve(e.get("expected_sha1_pcrs_file").asText()));
      // PCR 10 in that listing is the IMA register, which this firmware log does not describe
      expected.get(HashAlg.SHA1).remove(10);
      assertReplayMatches(log, expected, name + " vs tsspcrread listing");
      forms++;
    }
    assertThat(forms).as(name + ": forms of expected PCRs").isPositive();
    if (e.has("secure_boot_variables")) {
      checkSecureBoot(name, log, e.get("secure_boot_variables"));
    }
  }

  /** The measured variables, their sizes and the SecureBoot byte, as the research listed them. */
  static void checkSecureBoot(String name, TcgEventLog log, JsonNode vars) {
    List<String> expected = new ArrayList<>();
    List<String> expectedAuthorities = new ArrayList<>();
    Optional<Boolean> expectedSecureBoot = Optional.empty();
    boolean pk = false;
    boolean kek = false;
    boolean db = false;
    boolean dbx = false;
    for (JsonNode v : vars) {
      String var = v.get("var").asText();
      String type = v.get("type").asText();
      int length = v.get("data_len").asInt();
      String value = v.has("value") ? v.get("value").asText() : null;
      expected.add(v.get("pcr").asInt() + " " + type + " " + var + " " + length);
      if (type.equals("EV_EFI_VARIABLE_AUTHORITY")) {
        expectedAuthorities.add(var);
        continue;
      }
      switch (var) {
        case "SecureBoot" ->
            expectedSecureBoot = value == null ? Optional.empty() : Optional.of(value.equals("01"));
        case "PK" -> pk |= length > 0;
        case "KEK" -> kek |= length > 0;
        case "db" -> db |= length > 0;
        case "dbx" -> dbx |= length > 0;
        default -> {}
      }
    }
    List<String> actual = new ArrayList<>();
    for (TcgEvent ev : log.events()) {
      if (ev instanceof EfiVariableEvent v
          && (v.typeName().equals("EV_EFI_VARIABLE_DRIVER_CONFIG")
              || v.typeName().equals("EV_EFI_VARIABLE_AUTHORITY"))) {
        actual.add(v.pcr() + " " + v.typeName() + " " + v.name() + " " + v.valueLength());
        if (v.name().equals("SecureBoot") && v.valueLength() == 1) {
          assertThat(expectedSecureBoot).as(name).isPresent();
          assertThat(Hex.encode(v.value())).isEqualTo(expectedSecureBoot.get() ? "01" : "00");
        }
      }
    }
    assertThat(actual).as(name + " variables").containsExactlyInAnyOrderElementsOf(expected);
    SecureBootState sb = log.secureBoot();
    assertThat(sb.secureBootEnabled()).as(name + " SecureBoot").isEqualTo(expectedSecureBoot);
    assertThat(List.of(sb.pkPresent(), sb.kekPresent(), sb.dbPresent(), sb.dbxPresent()))
        .as(name + " PK, KEK, db, dbx present")
        .containsExactly(pk, kek, db, dbx);
    assertThat(sb.authorities().stream().map(EfiVariableEvent::name))
        .as(name + " authorities")
        .containsExactlyElementsOf(expectedAuthorities);
  }
}
