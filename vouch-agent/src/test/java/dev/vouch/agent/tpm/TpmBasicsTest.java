package dev.vouch.agent.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TpmBasicsTest extends SwtpmTest {

  @Test
  void startupReportsAnAlreadyStartedTpm() throws Exception {
    assertThat(tpm.startup(StartupType.CLEAR)).isFalse();
  }

  @Test
  void getRandomReturnsTheRequestedNumberOfDistinctBytes() throws Exception {
    byte[] a = tpm.getRandom(100); // more than one TPM2_GetRandom call's worth
    byte[] b = tpm.getRandom(100);
    assertThat(a).hasSize(100);
    assertThat(b).hasSize(100);
    assertThat(a).isNotEqualTo(b);
    assertThat(tpm.getRandom(0)).isEmpty();
  }

  @Test
  void infoNamesSwtpmAsIbmWithItsLimits() throws Exception {
    TpmInfo info = tpm.info();
    assertThat(info.family()).isEqualTo("2.0");
    assertThat(info.manufacturer()).isEqualTo("IBM");
    assertThat(info.manufacturerId()).isEqualTo(0x49424D00L);
    assertThat(info.vendorString()).isNotBlank();
    assertThat(info.nvBufferMax()).isBetween(512, 4096);
    assertThat(info.specRevision()).isGreaterThanOrEqualTo(116);
    assertThat(tpm.nvBufferMax()).isEqualTo(info.nvBufferMax());
  }

  @Test
  void pcrBanksListOnlyTheAllocatedSha256Bank() throws Exception {
    List<PcrSelection> banks = tpm.pcrBanks();
    assertThat(banks).hasSize(1);
    assertThat(banks.getFirst().bank()).isEqualTo(HashAlg.SHA256);
    assertThat(banks.getFirst().pcrs()).hasSize(24);
  }

  @Test
  void pcrExtendGivesWhatJavaComputesAndReadSpansSeveralRounds() throws Exception {
    PcrSelection all = PcrSelection.range(HashAlg.SHA256, 0, 23);
    PcrValues before = tpm.pcrRead(List.of(all));
    // 24 registers: a TPM returns at most 8 per call, so this needed three rounds
    assertThat(before.indexes(HashAlg.SHA256)).hasSize(24);
    assertThat(before.get(HashAlg.SHA256, 0).orElseThrow()).isEqualTo(new byte[32]);

    byte[] measurement = HashAlg.SHA256.digest("agent-binary-v1".getBytes(StandardCharsets.UTF_8));
    tpm.pcrExtend(16, Map.of(HashAlg.SHA256, measurement));
    tpm.pcrExtend(16, Map.of(HashAlg.SHA256, measurement));

    byte[] expected = before.get(HashAlg.SHA256, 16).orElseThrow();
    expected = PcrValues.extend(HashAlg.SHA256, expected, measurement);
    expected = PcrValues.extend(HashAlg.SHA256, expected, measurement);
    PcrValues after = tpm.pcrRead(List.of(PcrSelection.of(HashAlg.SHA256, 16, 0)));
    assertThat(after.get(HashAlg.SHA256, 16).orElseThrow()).isEqualTo(expected);
    assertThat(after.get(HashAlg.SHA256, 0).orElseThrow()).isEqualTo(new byte[32]);
  }

  @Test
  void pcrReadOfAnUnallocatedBankFailsClearly() {
    assertThatThrownBy(() -> tpm.pcrRead(List.of(PcrSelection.of(HashAlg.SHA1, 0))))
        .isInstanceOf(TpmException.class)
        .hasMessageContaining("TPM2_PCR_Read")
        .hasMessageContaining("SHA1");
  }

  @Test
  void pcrExtendRefusesADigestOfTheWrongSize() {
    assertThatThrownBy(() -> tpm.pcrExtend(16, Map.of(HashAlg.SHA256, new byte[20])))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void noTransientObjectsOrSessionsAreLoadedAtStart() throws Exception {
    assertThat(tpm.transientHandles()).isEmpty();
    assertThat(tpm.loadedSessions()).isEmpty();
    assertThat(tpm.handles(Handles.PERSISTENT_FIRST)).contains(0x81010001, 0x81010016);
  }
}
