package dev.vouch.evidence.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrSelection;
import dev.vouch.evidence.tpm.TpmAttest;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.TpmPublic;
import dev.vouch.evidence.tpm.TpmSignature;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.evidence.tpm.ima.ImaLog;

/**
 * Coverage-guided fuzz targets (Jazzer) for the parsers of untrusted TPM input: the TCG event log,
 * IMA measurement lists (binary and ASCII, every template) and the TPM structures of a quote. The
 * property is fail-closed parsing: any input either parses or is refused with a {@link
 * VerificationException} carrying a failure code; any other exception, a hang or an out-of-memory
 * is a finding.
 *
 * <p>In a normal test run each target runs once per seed in {@code ParserFuzzTestInputs/<target>}
 * (regression mode); {@code bin/fuzz} fuzzes them (JAZZER_FUZZ set). Every finding is kept as a
 * regression input in that folder with its fix. {@link VectorSeedsTest} also runs every target over
 * every vector file in test resources.
 */
class ParserFuzzTest {

  /** A parse that must succeed or refuse with a failure code, and nothing else. */
  interface Parse {
    void run() throws VerificationException;
  }

  static void failsClosed(Parse p) {
    try {
      p.run();
    } catch (VerificationException e) {
      assertThat(e.failure()).isNotNull();
    }
  }

  /** Every target, by name, for {@link VectorSeedsTest}. */
  static void all(byte[] data) {
    tcgEventLogTarget(data);
    imaTarget(data);
    tpmStructuresTarget(data);
    evidenceBundleTarget(data);
  }

  static void tcgEventLogTarget(byte[] data) {
    failsClosed(() -> TcgEventLog.parse(data));
  }

  static void imaTarget(byte[] data) {
    failsClosed(() -> ImaLog.parseBinary(data));
    failsClosed(() -> ImaLog.parseAscii(data));
    failsClosed(() -> ImaLog.parse(data));
  }

  static void tpmStructuresTarget(byte[] data) {
    failsClosed(() -> TpmAttest.parse(data));
    failsClosed(() -> TpmPublic.fromTpm2b(data));
    failsClosed(() -> TpmPublic.fromTpmt(data));
    failsClosed(() -> TpmSignature.parse(data));
    failsClosed(() -> PcrSelection.parse(data));
    failsClosed(() -> AkKeys.parse(data));
  }

  static void evidenceBundleTarget(byte[] data) {
    failsClosed(() -> TpmEvidenceBundle.parse(data));
  }

  @FuzzTest(maxDuration = "30s")
  void tcgEventLog(byte[] data) {
    tcgEventLogTarget(data);
  }

  @FuzzTest(maxDuration = "30s")
  void imaLists(byte[] data) {
    imaTarget(data);
  }

  @FuzzTest(maxDuration = "30s")
  void tpmStructures(byte[] data) {
    tpmStructuresTarget(data);
  }

  @FuzzTest(maxDuration = "30s")
  void tpmEvidenceBundle(byte[] data) {
    evidenceBundleTarget(data);
  }
}
