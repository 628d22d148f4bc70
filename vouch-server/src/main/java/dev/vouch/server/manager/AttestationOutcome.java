package dev.vouch.server.manager;

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
 */
public record AttestationOutcome(
    HostStatus status, List<String> reasons, Optional<String> reportId, OptionalLong resetCount) {
  public AttestationOutcome {
    Objects.requireNonNull(status, "status");
    reasons = List.copyOf(reasons);
    Objects.requireNonNull(reportId, "reportId");
    Objects.requireNonNull(resetCount, "resetCount");
  }

  /** An outcome without a verified quote's reset count. */
  public AttestationOutcome(HostStatus status, List<String> reasons, Optional<String> reportId) {
    this(status, reasons, reportId, OptionalLong.empty());
  }

  /** An outcome with no reasons and no report. */
  public static AttestationOutcome of(HostStatus status) {
    return new AttestationOutcome(status, List.of(), Optional.empty());
  }
}
