package dev.vouch.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.testing.ResearchData;
import dev.vouch.evidence.testing.SecureBootLogs;
import dev.vouch.evidence.testing.UefiVariableBytes;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Secure Boot claims are bound to measured data: for every real log with a SecureBoot variable, a
 * quote over the vector's PCR 7 accepts the honest log with the vector's SecureBoot value, and
 * refuses the same log with one byte of that variable's data changed (digests untouched, so every
 * PCR still replays the same).
 */
class TpmSecureBootBindingTest {
  private final TpmEvidenceVerifier verifier = TpmEvidenceVerifier.trustingSuppliedAk();

  static List<SecureBootLogs> logs() {
    List<SecureBootLogs> all = SecureBootLogs.all();
    // 14 go-tpm-tools logs and 10 research logs measure the variable; a clone without the research
    // folder still runs the 14 copied ones
    assertThat(all).hasSizeGreaterThanOrEqualTo(ResearchData.present() ? 24 : 14);
    return all;
  }

  private Claims verify(SecureBootLogs log, Map<Integer, byte[]> quoted, byte[] bytes)
      throws Exception {
    return verifier
        .verify(SoftQuote.bundle(log.bank(), quoted, bytes), Expectations.none())
        .claims();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("logs")
  void reportsTheVectorsSecureBootValueWhenPcr7IsQuoted(SecureBootLogs log) throws Exception {
    Claims c = verify(log, Map.of(7, log.pcr7()), log.bytes());
    assertThat(c.get(TpmClaims.EVENTLOG_PCRS)).isEqualTo(List.of(7L));
    if (log.secureBoot().isPresent()) {
      assertThat(c.get(TpmClaims.SECURE_BOOT)).isEqualTo(log.secureBoot().get());
    } else {
      assertThat(c.get(TpmClaims.SECURE_BOOT)).as("variable not one byte: no claim").isNull();
    }
    assertThat(c.get(TpmClaims.SECURE_BOOT_PK)).isNotNull();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("logs")
  void refusesTheLogWithOneByteOfTheSecureBootVariableChanged(SecureBootLogs log) throws Exception {
    byte[] forged = log.bytes();
    UefiVariableBytes sb =
        UefiVariableBytes.first(forged, UefiVariableBytes.EFI_GLOBAL_VARIABLE, "SecureBoot")
            .orElseThrow();
    forged[sb.lastDataByte()] ^= 0x01; // 00 <-> 01 for a one-byte value
    VerificationException e =
        catchThrowableOfType(
            VerificationException.class, () -> verify(log, Map.of(7, log.pcr7()), forged));
    assertThat(e).as("forged SecureBoot data must be refused").isNotNull();
    assertThat(e.failure()).isEqualTo(Failure.EVENT_DIGEST_MISMATCH);
    assertThat(e.getMessage()).contains("EV_EFI_VARIABLE_DRIVER_CONFIG").contains("PCR 7");
  }

  @Test
  void makesNoSecureBootClaimWhenPcr7IsNotQuoted() throws Exception {
    SecureBootLogs log =
        SecureBootLogs.goTpmTools().stream()
            .filter(l -> l.name().endsWith("rhel8-uefi.bin"))
            .findFirst()
            .orElseThrow();
    assertThat(log.secureBoot()).hasValue(true);
    byte[] pcr4 =
        Hex.decode(
            Vectors.json("tpm-eventlog/go-tpm-tools/expected.json")
                .at("/rhel8-uefi.bin/expected_pcrs_from_source/sha256/4")
                .asText());
    Claims with = verify(log, Map.of(4, pcr4, 7, log.pcr7()), log.bytes());
    assertThat(with.get(TpmClaims.SECURE_BOOT)).isEqualTo(true);
    // the same log and a quote that leaves PCR 7 out: the log's PCR 7 entries are bound to nothing
    Claims without = verify(log, Map.of(4, pcr4), log.bytes());
    assertThat(without.get(TpmClaims.EVENTLOG_PCRS)).isEqualTo(List.of(4L));
    assertThat(without.get(TpmClaims.SECURE_BOOT)).isNull();
    assertThat(without.get(TpmClaims.SECURE_BOOT_PK)).isNull();
    assertThat(without.get(TpmClaims.SECURE_BOOT_KEK)).isNull();
    assertThat(without.get(TpmClaims.SECURE_BOOT_DB)).isNull();
    assertThat(without.get(TpmClaims.SECURE_BOOT_DBX)).isNull();
  }
}
