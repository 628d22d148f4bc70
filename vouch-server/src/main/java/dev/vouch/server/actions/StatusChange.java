package dev.vouch.server.actions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.policy.flavor.HostStatus;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One status transition of a host (also a repeat of the same status), as published on NATS and to
 * webhooks.
 *
 * @param hostId the host
 * @param previous the status before this attestation
 * @param current the status after it
 * @param reasons why, one stable line per failed check (empty when verified)
 * @param reportId the trust report that decided it, when one was stored
 * @param time when the status was decided
 */
public record StatusChange(
    String hostId,
    HostStatus previous,
    HostStatus current,
    List<String> reasons,
    Optional<String> reportId,
    Instant time) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public StatusChange {
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(previous, "previous");
    Objects.requireNonNull(current, "current");
    reasons = List.copyOf(reasons);
    Objects.requireNonNull(reportId, "reportId");
    Objects.requireNonNull(time, "time");
  }

  /** True when the status differs from the previous one. */
  public boolean changed() {
    return previous != current;
  }

  /**
   * The event body: {@code {"hostId","previous","current","reasons","reportId","time"}} with the
   * statuses as enum names, {@code reportId} null when absent and {@code time} in ISO-8601 (UTC,
   * milliseconds).
   */
  public byte[] toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("hostId", hostId);
    m.put("previous", previous.name());
    m.put("current", current.name());
    m.put("reasons", reasons);
    m.put("reportId", reportId.orElse(null));
    m.put("time", time.truncatedTo(ChronoUnit.MILLIS).toString());
    try {
      return JSON.writeValueAsString(m).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      // strings, lists of strings and null always serialize
      throw new IllegalStateException(e);
    }
  }
}
