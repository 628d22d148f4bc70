package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class EventlogCommandTest {

  @Test
  void replaysAFirmwareLogToTheExpectedPcrsAsJson() {
    CliRun r =
        CliRun.of("eventlog", "replay", CliRun.vector("tpm-eventlog/hirs/TpmLog.bin"), "--json");
    assertThat(r.exit()).isEqualTo(0);
    JsonNode j = r.json();
    assertThat(j.at("/events").asInt()).isEqualTo(56);
    // PCR 3 of this HIRS log, as its TpmLogExpectedPcrs.txt lists it
    assertThat(j.at("/banks/sha256/3").asText())
        .isEqualTo("3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969");
  }

  @Test
  void detectsAnImaListAndReplaysRegister10() {
    CliRun r =
        CliRun.of(
            "eventlog",
            "replay",
            CliRun.vector("ima/rust-keylime/ascii_runtime_measurements"),
            "--format",
            "ima",
            "--json");
    assertThat(r.exit()).isEqualTo(0);
    assertThat(r.json().at("/banks/sha1/10").asText())
        .isEqualTo("82231c67a69da98dc5b3aa10f6343d33109225fc");
    assertThat(r.json().at("/banks/sha256/10").asText())
        .isEqualTo("c4a065637fc6a7c55f2811dd06cb45dd037133be2b3dc5c3e6fbe6bf061db724");
    assertThat(r.json().at("/events").asInt()).isEqualTo(826);
  }

  @Test
  void aSha384TdGuestListReplaysItsOwnBankAndRtmrWithoutFlags() {
    CliRun r =
        CliRun.of(
            "eventlog",
            "replay",
            CliRun.vector("ima/cc-api/ima_log.txt"),
            "--format",
            "ima",
            "--json");
    assertThat(r.exit()).isEqualTo(0);
    // shared research vectors/ima/MANIFEST.md: the cc-api list's expected RTMR2 (column 2)
    String rtmr2 =
        "2bf0f23664e604d20ef899d35c483ae0ae900942e33c60d7d4938cf718670fedb55030721e68891b370ad62312e62c28";
    assertThat(r.json().at("/banks/sha384/2").asText()).isEqualTo(rtmr2);
    assertThat(r.json().at("/td_registers/rtmr2").asText()).isEqualTo(rtmr2);
    assertThat(r.json().at("/banks/sha1/2").asText())
        .isEqualTo("5d2e465933fe441878b944bd46befb3a6b604a7d");
    assertThat(r.json().at("/template_hash").asText()).isEqualTo("sha384");
  }

  @Test
  void anSm3ListReplaysItsSm3BankInsteadOfFailingAsTampered() {
    CliRun r =
        CliRun.of("eventlog", "replay", CliRun.vector("ima/keylime/ima-log-sm3_256"), "--json");
    assertThat(r.exit()).isEqualTo(0);
    assertThat(r.json().at("/template_hash").asText()).isEqualTo("sm3_256");
    // replayed independently with OpenSSL's SM3
    assertThat(r.json().at("/banks/sm3_256/10").asText())
        .isEqualTo("9e6066a7981769154d79a1ce330020099eba2683e55729413b536a27bf517d81");
  }

  @Test
  void namedBanksStillReplayOnlyThoseBanks() {
    CliRun r =
        CliRun.of(
            "eventlog",
            "replay",
            CliRun.vector("ima/cc-api/ima_log.txt"),
            "--bank",
            "sha256",
            "--json");
    assertThat(r.exit()).isEqualTo(0);
    assertThat(r.json().at("/banks").size()).isEqualTo(1);
    assertThat(r.json().at("/td_registers").isMissingNode()).isTrue();
  }

  @Test
  void rejectsAListWithABadTemplateHashWithExitOneAndItsCode() {
    CliRun r =
        CliRun.of(
            "eventlog", "replay", CliRun.vector("ima/keylime/ima_bad_signatures.txt"), "--json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().at("/valid").asBoolean()).isFalse();
    assertThat(r.json().at("/errors/0/code").asText()).isEqualTo("TEMPLATE_HASH_MISMATCH");
  }

  @Test
  void showsDecodedEvents() {
    CliRun r =
        CliRun.of("eventlog", "show", CliRun.vector("tpm-eventlog/hirs/TpmLog.bin"), "--json");
    assertThat(r.exit()).isEqualTo(0);
    assertThat(r.json().at("/events/0/type").asText()).isEqualTo("EV_NO_ACTION");
    assertThat(r.json().at("/events").size()).isEqualTo(56);
  }

  @Test
  void aMissingFileIsBadInput() {
    CliRun r = CliRun.of("eventlog", "replay", "/nonexistent/log");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("does not exist");
  }

  @Test
  void anUnknownFormatIsBadInput() {
    CliRun r = CliRun.of("eventlog", "replay", "--format", "xml", "x");
    assertThat(r.exit()).isEqualTo(2);
  }

  @Test
  void aTruncatedLogFailsWithItsCodeNotATrace() throws Exception {
    byte[] log =
        java.nio.file.Files.readAllBytes(CliRun.VECTORS.resolve("tpm-eventlog/hirs/TpmLog.bin"));
    java.nio.file.Path cut = java.nio.file.Files.createTempFile("cut", ".bin");
    java.nio.file.Files.write(cut, java.util.Arrays.copyOf(log, 1000));
    CliRun r = CliRun.of("eventlog", "replay", cut.toString(), "--json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().at("/errors/0/code").asText()).isEqualTo("TRUNCATED");
    assertThat(r.err()).doesNotContain("Exception");
  }
}
