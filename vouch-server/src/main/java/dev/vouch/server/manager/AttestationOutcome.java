package dev.vouch.server.manager;

import dev.vouch.policy.flavor.HostStatus;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one attestation of a host concluded.
 *
 * @param status the host's new status
 * @param reasons why, for the status history (empty when verified)
 * @param reportId the stored attestation report, if one was written
 */
public record AttestationOutcome(
    HostStatus status, List<String> reasons, Optional<String> reportId) {
  public AttestationOutcome {
    Objects.requireNonNull(status, "status");
    reasons = List.copyOf(reasons);
    Objects.requireNonNull(reportId, "reportId");
  }

  /** An outcome with no reasons and no report. */
  public static AttestationOutcome of(HostStatus status) {
    return new AttestationOutcome(status, List.of(), Optional.empty());
  }
}
