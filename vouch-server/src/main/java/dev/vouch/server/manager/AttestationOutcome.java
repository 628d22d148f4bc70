package dev.vouch.server.manager;

import dev.vouch.policy.flavor.BaselineChange;
import dev.vouch.policy.flavor.HostStatus;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What one attestation of a host concluded.
 *
 * @param status the host's new status
 * @param reasons why, for the status history (empty when verified)
 * @param reportId the stored attestation report, if one was written
 * @param resetCount the TPM reset count of the quote, when one was verified (the registry keeps the
 *     last one, so a reboot shows in the host's record)
 * @param baseline how a new boot's measurements differ from the host's golden baseline, when they
 *     do (published as a {@code baseline-changed} event)
 * @param imaRestart why incremental IMA verification started again from entry 0, when it did
 *     (published as an {@code ima-restart} event)
 * @param flavorIds the flavors the host was judged by (published with its status events)
 */
public record AttestationOutcome(
    HostStatus status,
    List<String> reasons,
    Optional<String> reportId,
    OptionalLong resetCount,
    Optional<BaselineChange> baseline,
    Optional<String> imaRestart,
    List<String> flavorIds) {
  public AttestationOutcome {
    Objects.requireNonNull(status, "status");
    reasons = List.copyOf(reasons);
    Objects.requireNonNull(reportId, "reportId");
    Objects.requireNonNull(resetCount, "resetCount");
    Objects.requireNonNull(baseline, "baseline");
    Objects.requireNonNull(imaRestart, "imaRestart");
    flavorIds = List.copyOf(flavorIds);
  }

  /** An outcome that names no flavors (nothing was judged against flavors). */
  public AttestationOutcome(
      HostStatus status,
      List<String> reasons,
      Optional<String> reportId,
      OptionalLong resetCount,
      Optional<BaselineChange> baseline,
      Optional<String> imaRestart) {
    this(status, reasons, reportId, resetCount, baseline, imaRestart, List.of());
  }

  /** An outcome without an IMA restart. */
  public AttestationOutcome(
      HostStatus status,
      List<String> reasons,
      Optional<String> reportId,
      OptionalLong resetCount,
      Optional<BaselineChange> baseline) {
    this(status, reasons, reportId, resetCount, baseline, Optional.empty());
  }

  /** An outcome without a baseline change. */
  public AttestationOutcome(
      HostStatus status, List<String> reasons, Optional<String> reportId, OptionalLong resetCount) {
    this(status, reasons, reportId, resetCount, Optional.empty());
  }

  /** An outcome without a verified quote's reset count. */
  public AttestationOutcome(HostStatus status, List<String> reasons, Optional<String> reportId) {
    this(status, reasons, reportId, OptionalLong.empty());
  }

  /** The reason code of an attestation that could not ask the host's agent. */
  public static final String AGENT_UNREACHABLE = "agent-unreachable";

  /**
   * Reason code of a host failed for full-disk encryption ({@code hosts.require_disk_encryption}):
   * no kernel command line naming an encrypted root was measured into a quoted PCR 8.
   */
  public static final String FDE_NOT_MEASURED = "fde-not-measured";

  /** The agent presented a CMS certificate that has been revoked: it is not asked anything. */
  public static final String AGENT_CERTIFICATE_REVOKED = "agent-certificate-revoked";

  /** The reason code of an attestation that failed for another cause than the host's answer. */
  public static final String INCOMPLETE = "attestation-incomplete";

  /**
   * The outcome when nothing was measured because the agent could not be asked (unreachable, TPM
   * link dead, lockout, agent TLS not configured, ...). A failed host stays failed: its failure
   * status, its failed report and hence its cordon are kept, so that a compromised host cannot
   * clear its failure by breaking its own agent; only a passing attestation (or an administrator's
   * fresh onboarding) lifts it. A host never attested stays UNKNOWN, and a VERIFIED host becomes
   * UNKNOWN (as before: its last verdict is no longer current, but nothing failed), keeping its
   * last report id.
   *
   * @param code {@link #AGENT_UNREACHABLE}, {@link #AGENT_CERTIFICATE_REVOKED} or {@link
   *     #INCOMPLETE}
   */
  public static AttestationOutcome notMeasured(Host host, String code, String detail) {
    HostStatus status = host.status().isFailure() ? host.status() : HostStatus.UNKNOWN;
    return new AttestationOutcome(status, List.of(code + ": " + detail), host.lastReportId());
  }

  /** An outcome with no reasons and no report. */
  public static AttestationOutcome of(HostStatus status) {
    return new AttestationOutcome(status, List.of(), Optional.empty());
  }
}
