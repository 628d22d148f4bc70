package dev.vouch.agent.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TpmErrorsTest extends SwtpmTest {

  @Test
  void readingAnUndefinedNvIndexGivesTpmRcHandleWithAReadableMessage() {
    assertThatThrownBy(() -> tpm.nvRead(0x01C0FFFF))
        .isInstanceOf(TpmException.class)
        .hasMessage(
            "TPM2_NV_ReadPublic failed: TPM_RC_HANDLE (the handle is not correct for the use),"
                + " handle 1 [0x18b]")
        .satisfies(
            e -> {
              TpmException t = (TpmException) e;
              assertThat(t.is(ResponseCode.TPM_RC_HANDLE)).isTrue();
              assertThat(t.command()).contains(CommandCode.NV_READ_PUBLIC);
            });
  }

  @Test
  void loadingMoreObjectsThanTheTpmHoldsGivesTheObjectMemoryWarning() throws Exception {
    List<TransientKey> loaded = new ArrayList<>();
    try {
      TpmException full = null;
      for (int i = 0; i < 8 && full == null; i++) {
        try {
          loaded.add(tpm.createPrimary(Handles.TPM_RH_OWNER, KeyTemplate.srkEccP256()));
        } catch (TpmException e) {
          full = e;
        }
      }
      assertThat(full).isNotNull();
      assertThat(full.is(ResponseCode.TPM_RC_OBJECT_MEMORY)).isTrue();
      assertThat(full.responseCode().orElseThrow().isWarning()).isTrue();
      assertThat(full).hasMessageContaining("TPM2_CreatePrimary failed: TPM_RC_OBJECT_MEMORY");
      assertThat(tpm.transientHandles()).hasSize(loaded.size());
    } finally {
      for (TransientKey k : loaded) {
        k.close();
      }
    }
  }

  @Test
  void flushingTwiceTouchesTheTpmOnce() throws Exception {
    TransientKey k = tpm.createPrimary(Handles.TPM_RH_OWNER, KeyTemplate.srkEccP256());
    k.close();
    k.close();
    assertThat(k.isFlushed()).isTrue();
    assertThatThrownBy(() -> tpm.flush(k.handle()))
        .isInstanceOf(TpmException.class)
        .satisfies(e -> assertThat(((TpmException) e).is(ResponseCode.TPM_RC_HANDLE)).isTrue());
  }

  @Test
  void persistingAtAnOccupiedHandleIsRefusedAndLeaksNothing() throws Exception {
    try (TransientKey srk = tpm.createPrimary(Handles.TPM_RH_OWNER, KeyTemplate.srkEccP256())) {
      assertThatThrownBy(() -> tpm.persist(srk, 0x81010001))
          .isInstanceOf(TpmException.class)
          .satisfies(
              e -> assertThat(((TpmException) e).is(ResponseCode.TPM_RC_NV_DEFINED)).isTrue());
    }
  }

  @Test
  void quoteWithAStorageKeyIsRefusedByTheTpm() throws Exception {
    try (TransientKey srk = tpm.createPrimary(Handles.TPM_RH_OWNER, KeyTemplate.srkEccP256())) {
      assertThatThrownBy(() -> tpm.quote(srk, new byte[8], List.of()))
          .isInstanceOf(TpmException.class)
          .hasMessageStartingWith("TPM2_Quote failed: TPM_RC_");
    }
  }
}
