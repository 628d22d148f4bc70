package dev.vouch.evidence.tpm.eventlog;

import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.assertReplayMatches;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.json;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.pcrFile;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.read;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.resources;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.testing.ResearchData;
import java.nio.file.Path;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Logs that arrive with TPM quotes or with the continuous-attestation data: the replay must give
 * the PCR values the TPM quoted, and the ca-data logs must frame and replay as their sources say.
 */
class RealEventLogsTest {
  private static final Path QUOTES = resources().resolve("quote-logs");

  @Test
  void gceCos85LogReplaysToThePcrsItsThreeQuotesCover() throws VerificationException {
    Path dir = QUOTES.resolve("gce-cos-85-no-nonce");
    TcgEventLog log = TcgEventLog.parse(read(dir.resolve("event_log.bin")));
    assertThat(log.events()).hasSize(45);
    assertThat(log.format()).isEqualTo(LogFormat.CRYPTO_AGILE);

    JsonNode quotes = json(dir.resolve("quotes.json"));
    Map<HashAlg, Map<Integer, byte[]>> expected = new EnumMap<>(HashAlg.class);
    for (String bank : List.of("sha1", "sha256", "sha384")) {
      Map<HashAlg, Map<Integer, byte[]>> quoted =
          EventLogVectors.pcrs(
              EventLogVectors.JSON.createObjectNode().set(bank, quotes.get(bank).get("pcrs")));
      HashAlg alg = HashAlg.fromName(bank).orElseThrow();
      // expected.json: "PCR0-9 in all three banks"; PCR 10 and up belong to the OS
      Map<Integer, byte[]> firmware = new TreeMap<>(quoted.get(alg));
      firmware.keySet().removeIf(i -> i > 9);
      expected.put(alg, firmware);
    }
    assertThat(assertReplayMatches(log, expected, "gce-cos-85")).isEqualTo(30);
    assertThat(log.replay().indexes(HashAlg.SHA256)).containsExactlyElementsOf(range(0, 9));
  }

  @Test
  void windowsShieldedVmLegacyLogReplaysToTheQuotedPcrsItsExpectationsName()
      throws VerificationException {
    JsonNode vm = json(QUOTES.resolve("go-attestation/windows_gcp_shielded_vm.json"));
    JsonNode facts =
        json(QUOTES.resolve("expected.json"))
            .get("go-attestation/windows_gcp_shielded_vm.json")
            .get("eventlog");
    TcgEventLog log =
        TcgEventLog.parse(Base64.getDecoder().decode(vm.get("Log").get("Raw").asText()));
    assertThat(log.format()).isEqualTo(LogFormat.SHA1_LEGACY);
    assertThat(log.events()).hasSize(facts.get("events").asInt());

    Map<Integer, byte[]> quoted = new TreeMap<>();
    for (JsonNode pcr : vm.get("Log").get("PCRs")) {
      assertThat(pcr.get("DigestAlg").asInt()).as("Go crypto.SHA1").isEqualTo(3);
      quoted.put(pcr.get("Index").asInt(), Base64.getDecoder().decode(pcr.get("Digest").asText()));
    }
    assertThat(quoted).hasSize(24);
    Map<Integer, byte[]> listed = new TreeMap<>();
    for (JsonNode i : facts.get("replay_matches_quoted_pcrs")) {
      listed.put(i.asInt(), quoted.get(i.asInt()));
    }
    assertThat(listed.keySet()).containsExactly(0, 4, 5, 7, 11, 12, 13, 14);
    assertReplayMatches(log, Map.of(HashAlg.SHA1, listed), "windows shielded VM");
  }

  @Test
  void hirsLogInCaDataReplaysToItsTwentyFourExpectedPcrs() throws VerificationException {
    Path hirs =
        ResearchData.root()
            .resolve("ca-data/nsacyber/HIRS/HIRS_Utils/src/test/resources/tcgeventlog");
    TcgEventLog log = TcgEventLog.parse(read(hirs.resolve("TpmLog.bin")));
    assertThat(assertReplayMatches(log, pcrFile(hirs.resolve("TpmLogExpectedPcrs.txt")), "HIRS"))
        .isEqualTo(24);
  }

  @Test
  void hirsSha1LegacyLogReplaysToItsTwentyFourExpectedPcrsFromResources()
      throws VerificationException {
    Path hirs = resources().resolve("hirs");
    TcgEventLog log = TcgEventLog.parse(read(hirs.resolve("TpmLogSHA1.bin")));
    assertThat(log.format()).isEqualTo(LogFormat.SHA1_LEGACY);
    assertThat(
            assertReplayMatches(
                log, pcrFile(hirs.resolve("TpmLogSHA1ExpectedPcrs.txt")), "HIRS SHA-1"))
        .isEqualTo(24);
  }

  @Test
  void keylimeSecureBootLogInCaDataEqualsTheCopyTestedAgainstItsExpectations() {
    Path caData =
        ResearchData.root()
            .resolve(
                "ca-data/keylime/keylime/test/data/create-mb-policy/binary_bios_measurements-secureboot");
    assertThat(read(caData))
        .isEqualTo(read(resources().resolve("keylime/binary_bios_measurements-secureboot")));
  }

  @Test
  void intelSeclLogStopsAtItsErasedFlashPaddingAfter116Entries() throws VerificationException {
    byte[] bytes = read(resources().resolve("intel-secl/uefi_event_log.bin"));
    assertThat(bytes).hasSize(65536);
    TcgEventLog log = TcgEventLog.parse(bytes);
    assertThat(log.format()).isEqualTo(LogFormat.CRYPTO_AGILE);
    assertThat(log.banks()).containsExactly(HashAlg.SHA1, HashAlg.SHA256);
    assertThat(log.events()).hasSize(116);
    assertThat(log.paddingLength()).isPositive();
    TcgEvent last = log.events().get(115);
    int end =
        last.header().offset() + 4 + 4 + 4 + (2 + 20) + (2 + 32) + 4 + last.header().dataLength();
    assertThat(end + log.paddingLength()).isEqualTo(bytes.length);
    // ca-data's MANIFEST calls it zero padding; the bytes are 0xFF (erased flash)
    assertThat(java.util.Arrays.copyOfRange(bytes, end, bytes.length)).containsOnly(0xff);
    // the log has separators on PCR 0-7, so the replay covers at least those
    assertThat(log.replay().indexes(HashAlg.SHA256)).containsAll(range(0, 7));
  }

  /**
   * TDX CCEL logs share the crypto-agile layout (SHA-384, MR index 1..4 for RTMR 0..3), so the same
   * framing reads them and the same replay gives the RTMRs, which start at zero.
   */
  @Test
  void tdxCcelLogsFrameAndReplayToTheirRtmrs() throws VerificationException {
    Path tdx = ResearchData.vectors("tdx");
    JsonNode expected = json(tdx.resolve("expected.json"));
    int checked = 0;
    for (var it = expected.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      JsonNode e = expected.get(name);
      if (!name.startsWith("trustee-ccel/")) {
        continue;
      }
      TcgEventLog log = TcgEventLog.parse(read(tdx.resolve(name)));
      assertThat(log.events()).as(name).hasSize(e.get("events").asInt());
      assertThat(log.banks()).containsExactly(HashAlg.SHA384);
      JsonNode rtmrs =
          e.has("expected_rtmr0_3_from_source")
              ? e.get("expected_rtmr0_3_from_source")
              : e.get("replayed_rtmr0_3");
      for (int i = 0; i < 4; i++) {
        byte[] value = log.replay().get(HashAlg.SHA384, i + 1).orElse(new byte[48]);
        assertThat(dev.vouch.core.bytes.Hex.encode(value))
            .as("%s RTMR%d", name, i)
            .isEqualTo(rtmrs.get(i).asText());
      }
      checked++;
    }
    assertThat(checked).isEqualTo(6);
  }

  private static List<Integer> range(int from, int to) {
    return IntStream.rangeClosed(from, to).boxed().toList();
  }
}
