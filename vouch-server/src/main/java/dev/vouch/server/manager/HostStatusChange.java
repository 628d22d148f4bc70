package dev.vouch.server.manager;

import dev.vouch.policy.flavor.HostStatus;
import java.time.Instant;
import java.util.List;

/**
 * One row of a host's status history: the status moved from {@code previous} to {@code current}.
 */
public record HostStatusChange(
    String hostId, Instant at, HostStatus previous, HostStatus current, List<String> reasons) {
  public HostStatusChange {
    reasons = List.copyOf(reasons);
  }
}
