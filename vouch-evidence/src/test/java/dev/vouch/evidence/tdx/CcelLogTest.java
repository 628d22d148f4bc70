package dev.vouch.evidence.tdx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.dcap.DcapQuote;
import dev.vouch.evidence.dcap.DcapQuoteVerifier;
import dev.vouch.evidence.dcap.SyntheticDcap;
import dev.vouch.evidence.dcap.TdReport;
import dev.vouch.evidence.testing.ResearchData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** CC event logs replay to the recorded RTMRs and are checked against the quote's RTMRs. */
class CcelLogTest {

  static List<String> ccelSamples() {
    return TdxVectors.ccelSamples();
  }

  private static byte[] sampleBytes(String sample) throws Exception {
    try {
      return TdxVectors.bytes(sample);
    } catch (IllegalStateException notCopied) {
      // the 1 MB and GKE logs are read from the shared research folder instead of being copied
      return Files.readAllBytes(ResearchData.vectors("tdx").resolve(sample));
    }
  }

  private static List<byte[]> expectedRtmrs(JsonNode e) {
    List<byte[]> out = new ArrayList<>();
    e.get("replayed_rtmr0_3").forEach(n -> out.add(Hex.decode(n.asText())));
    return out;
  }

  @ParameterizedTest
  @MethodSource("ccelSamples")
  void replaysToTheRecordedRtmrs(String sample) throws Exception {
    JsonNode e = TdxVectors.expected(sample);
    CcelLog log = CcelLog.parse(sampleBytes(sample));
    for (int i = 0; i < 4; i++) {
      assertThat(Hex.encode(log.rtmr(i)))
          .as("RTMR%d", i)
          .isEqualTo(e.get("replayed_rtmr0_3").get(i).asText());
    }
    if (e.has("expected_rtmr0_3_from_source")) {
      assertThat(e.get("expected_rtmr0_3_from_source")).isEqualTo(e.get("replayed_rtmr0_3"));
    }
    assertThat(log.events()).isEqualTo(e.get("events").asInt());
    log.requireMatches(expectedRtmrs(e));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3})
  void reportsTheFirstRtmrThatDiffers(int rtmr) throws Exception {
    String sample = "trustee-ccel/CCEL_data_ovmf";
    CcelLog log = CcelLog.parse(sampleBytes(sample));
    List<byte[]> quoted = expectedRtmrs(TdxVectors.expected(sample));
    quoted.get(rtmr)[0] ^= 0x20;
    assertThatThrownBy(() -> log.requireMatches(quoted))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("RTMR" + rtmr)
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.EVENT_LOG_MISMATCH);
  }

  @Test
  void ccApiLogReproducesTheQuotesFirmwareRtmrsButNotTheImaExtendedRtmr2() throws Exception {
    JsonNode e = TdxVectors.expected("cc-api/quote.bin");
    CcelLog log = CcelLog.parse(TdxVectors.bytes("cc-api/ccel_data.bin"));
    JsonNode replay = e.get("ccel_replay");
    assertThat(Hex.encode(log.rtmr(0))).isEqualTo(replay.get("rtmr0").asText());
    assertThat(Hex.encode(log.rtmr(1))).isEqualTo(replay.get("rtmr1").asText());
    assertThat(Hex.encode(log.rtmr(2))).isEqualTo(replay.get("rtmr2_firmware_only").asText());
    TdReport td = DcapQuote.parse(TdxVectors.bytes("cc-api/quote.bin")).tdReport().orElseThrow();
    assertThatThrownBy(() -> log.requireMatches(td))
        .hasMessageContaining("RTMR2")
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.EVENT_LOG_MISMATCH);
  }

  @Test
  void tdxEvidenceWithAMatchingCcelVerifiesAndCountsItsEvents() throws Exception {
    byte[] ccel = TdxVectors.bytes("trustee-ccel/CCEL_data_ovmf");
    CcelLog log = CcelLog.parse(ccel);
    SyntheticDcap pki = new SyntheticDcap(TdxVectors.bytes("dcap-qvl/tdx_quote"));
    byte[] quote =
        pki.quote(
            b -> {
              for (int i = 0; i < 4; i++) {
                System.arraycopy(log.rtmr(i), 0, b, 48 + 328 + 48 * i, 48);
              }
              return b;
            });
    TdxEvidenceVerifier v = new TdxEvidenceVerifier(new DcapQuoteVerifier(pki.pki(), false));
    Expectations x = new Expectations(Optional.empty(), Instant.parse("2025-07-01T00:00:00Z"));
    VerifiedEvidence ok = v.verify(json(quote, ccel), x);
    assertThat(ok.claims().get(TdxClaims.CCEL_VERIFIED)).isEqualTo(true);
    assertThat(ok.claims().get(TdxClaims.CCEL_EVENTS)).isEqualTo((long) log.events());
    assertThat(ok.claims().get(TdxClaims.RTMR_PREFIX + "2")).isEqualTo(Hex.encode(log.rtmr(2)));

    byte[] otherLog = TdxVectors.bytes("trustee-ccel/CCEL_data_grub");
    assertThatThrownBy(() -> v.verify(json(quote, otherLog), x))
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.EVENT_LOG_MISMATCH);
  }

  private static byte[] json(byte[] quote, byte[] ccel) {
    return ("{\"quote\":\""
            + Base64.getEncoder().encodeToString(quote)
            + "\",\"cc_eventlog\":\""
            + Base64.getEncoder().encodeToString(ccel)
            + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] table(int ccType, long laml) {
    ByteBuffer b = ByteBuffer.allocate(CcelTable.SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.put("CCEL".getBytes(StandardCharsets.US_ASCII)).putInt(CcelTable.SIZE).put((byte) 1);
    b.put((byte) 0).put("VOUCH ".getBytes(StandardCharsets.US_ASCII));
    b.position(36);
    b.put((byte) ccType).put((byte) 0).putShort((short) 0).putLong(laml).putLong(0xbedbf000L);
    byte[] t = b.array();
    int sum = 0;
    for (byte x : t) {
      sum += x;
    }
    t[9] = (byte) -sum;
    return t;
  }

  @Test
  void readsTheAcpiTableAndHoldsTheLogToItsArea() throws Exception {
    byte[] log = TdxVectors.bytes("trustee-ccel/CCEL_data_ovmf");
    CcelLog ok = CcelLog.parse(table(2, 0x40000), log);
    assertThat(ok.table().orElseThrow().logAreaStartAddress()).isEqualTo(0xbedbf000L);
    assertThat(ok.table().orElseThrow().ccType()).isEqualTo(CcelTable.CC_TYPE_TDX);
    assertThatThrownBy(() -> CcelLog.parse(table(2, 100), log))
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.MALFORMED);
    assertThatThrownBy(() -> CcelLog.parse(table(1, 0x40000), log))
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.UNSUPPORTED);
    byte[] bad = table(2, 0x40000);
    bad[20] ^= 1;
    assertThatThrownBy(() -> CcelTable.parse(bad))
        .hasMessageContaining("checksum")
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.MALFORMED);
  }

  @Test
  void aPcClientLogWithoutSha384IsNotACcEventLog() throws Exception {
    for (String name : List.of("hirs/TpmLog.bin", "hirs/TpmLogSHA1.bin")) {
      byte[] tpmLog = Files.readAllBytes(ResearchData.vectors("tpm-eventlog").resolve(name));
      assertThatThrownBy(() -> CcelLog.parse(tpmLog))
          .extracting(t -> ((VerificationException) t).failure())
          .isEqualTo(Failure.UNSUPPORTED);
    }
  }
}
