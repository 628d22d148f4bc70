package dev.vouch.agent.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
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
  void pcrBanksListTheThreeAllocatedBanks() throws Exception {
    List<PcrSelection> banks = tpm.pcrBanks();
    assertThat(banks)
        .extracting(PcrSelection::bank)
        .containsExactly(HashAlg.SHA1, HashAlg.SHA256, HashAlg.SHA384);
    assertThat(banks).allSatisfy(b -> assertThat(b.pcrs()).hasSize(24));
  }

  @Test
  void pcrExtendOfSeveralBanksGivesWhatJavaComputesAndReadSpansSeveralRounds() throws Exception {
    List<PcrSelection> all = tpm.pcrBanks();
    PcrValues before = tpm.pcrRead(all);
    // 72 registers: a TPM returns at most 8 per call, so this took at least nine rounds
    for (HashAlg bank : List.of(HashAlg.SHA1, HashAlg.SHA256, HashAlg.SHA384)) {
      assertThat(before.indexes(bank)).hasSize(24);
      assertThat(before.get(bank, 0).orElseThrow()).isEqualTo(new byte[bank.size()]);
    }

    byte[] data = "agent-binary-v1".getBytes(StandardCharsets.UTF_8);
    Map<HashAlg, byte[]> digests = new EnumMap<>(HashAlg.class);
    for (HashAlg bank : List.of(HashAlg.SHA1, HashAlg.SHA256, HashAlg.SHA384)) {
      digests.put(bank, bank.digest(data));
    }
    tpm.pcrExtend(16, digests);
    tpm.pcrExtend(16, Map.of(HashAlg.SHA256, digests.get(HashAlg.SHA256)));

    PcrValues after =
        tpm.pcrRead(
            List.of(
                PcrSelection.of(HashAlg.SHA256, 16, 0),
                PcrSelection.of(HashAlg.SHA1, 16),
                PcrSelection.of(HashAlg.SHA384, 16)));
    for (HashAlg bank : List.of(HashAlg.SHA1, HashAlg.SHA384)) {
      byte[] expected =
          PcrValues.extend(bank, before.get(bank, 16).orElseThrow(), digests.get(bank));
      assertThat(after.get(bank, 16).orElseThrow()).isEqualTo(expected);
    }
    byte[] sha256 = before.get(HashAlg.SHA256, 16).orElseThrow();
    sha256 = PcrValues.extend(HashAlg.SHA256, sha256, digests.get(HashAlg.SHA256));
    sha256 = PcrValues.extend(HashAlg.SHA256, sha256, digests.get(HashAlg.SHA256));
    assertThat(after.get(HashAlg.SHA256, 16).orElseThrow()).isEqualTo(sha256);
    assertThat(after.get(HashAlg.SHA256, 0).orElseThrow()).isEqualTo(new byte[32]);
  }

  @Test
  void pcrReadOfAnUnallocatedBankFailsClearly() {
    assertThatThrownBy(() -> tpm.pcrRead(List.of(PcrSelection.of(HashAlg.SHA512, 0))))
        .isInstanceOf(TpmException.class)
        .hasMessageContaining("TPM2_PCR_Read")
        .hasMessageContaining("SHA512");
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
