package dev.vouch.agent.tpm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base for tests against one swtpm per test class. After every test the TPM must hold no transient
 * objects and no sessions: swtpm has no resource manager, so anything left is a leak.
 */
abstract class SwtpmTest {
  static Swtpm swtpm;
  static TpmClient tpm;

  @BeforeAll
  static void startSwtpm() throws TpmException {
    swtpm = Swtpm.start();
    tpm = swtpm.client();
  }

  @AfterEach
  void leavesNoTransientObjectsOrSessions() throws TpmException {
    assertThat(tpm.transientHandles()).as("transient objects left loaded").isEmpty();
    assertThat(tpm.loadedSessions()).as("sessions left loaded").isEmpty();
  }

  @AfterAll
  static void stopSwtpm() throws TpmException {
    try {
      if (tpm != null) {
        tpm.close();
      }
    } finally {
      if (swtpm != null) {
        swtpm.close();
      }
      tpm = null;
      swtpm = null;
    }
  }
}
