package dev.vouch.agent.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StartupShutdownTest extends SwtpmTest {

  @Test
  void afterShutdownAndAPowerCycleTheTpmRefusesCommandsUntilStartup() throws Exception {
    tpm.shutdown(StartupType.CLEAR);
    swtpm.powerCycle();

    assertThatThrownBy(() -> tpm.getRandom(8))
        .isInstanceOf(TpmException.class)
        .hasMessageContaining("TPM_RC_INITIALIZE")
        .satisfies(e -> assertThat(((TpmException) e).is(ResponseCode.TPM_RC_INITIALIZE)).isTrue());

    assertThat(tpm.startup(StartupType.CLEAR)).isTrue();
    assertThat(tpm.startup(StartupType.CLEAR)).isFalse();
    assertThat(tpm.getRandom(8)).hasSize(8);
  }
}
