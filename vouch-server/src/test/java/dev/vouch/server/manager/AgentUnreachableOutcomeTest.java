package dev.vouch.server.manager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.policy.flavor.HostStatus;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What an attestation that could not ask the agent makes of a host: a failed host stays failed with
 * its failed report (so breaking one's own agent hides nothing); a host never attested stays
 * UNKNOWN; a VERIFIED host is no longer vouched for and becomes UNKNOWN.
 */
class AgentUnreachableOutcomeTest {

  private static Host host(HostStatus status, Optional<String> report) {
    return new Host(
        "h1",
        "default",
        "nats",
        status,
        OptionalLong.of(3),
        Instant.EPOCH,
        Optional.empty(),
        Optional.empty(),
        report.map(r -> Instant.EPOCH),
        report);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "ATTESTATION_FAILED, ATTESTATION_FAILED",
    "SECURE_BOOT_DISABLED, SECURE_BOOT_DISABLED",
    "VERIFIED, UNKNOWN",
    "UNKNOWN, UNKNOWN"
  })
  void anUnreachableAgentKeepsAFailureAndItsReport(HostStatus before, HostStatus after) {
    Optional<String> report =
        before == HostStatus.UNKNOWN ? Optional.empty() : Optional.of("report-1");
    AttestationOutcome o =
        AttestationOutcome.notMeasured(
            host(before, report), AttestationOutcome.AGENT_UNREACHABLE, "TPM link dead");
    assertThat(o.status()).isEqualTo(after);
    assertThat(o.reportId()).isEqualTo(report);
    assertThat(o.reasons()).containsExactly("agent-unreachable: TPM link dead");
    assertThat(o.baseline()).isEmpty();
  }
}
