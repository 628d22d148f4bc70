package dev.vouch.server.actions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.policy.flavor.BaselineChange;
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
 * webhooks; or, with {@code baseline} present, a {@code baseline-changed} event: the host's new
 * boot measured other values than its golden baseline (adopted in TOFU, or refused).
 *
 * @param hostId the host
 * @param previous the status before this attestation
 * @param current the status after it
 * @param reasons why, one stable line per failed check (empty when verified)
 * @param reportId the trust report that decided it, when one was stored
 * @param time when the status was decided
 * @param baseline how the new boot's measurements differ from the previous golden baseline, when
 *     they do
 * @param imaRestart with it, an {@code ima-restart} event: incremental IMA verification of the host
 *     started again from entry 0, for this reason (a reboot, a mismatch); the statuses are then
 *     both the host's status after the attestation
 * @param flavorIds the flavors the attestation judged the host by (empty when none were, or for a
 *     change recorded without an attestation)
 */
public record StatusChange(
    String hostId,
    HostStatus previous,
    HostStatus current,
    List<String> reasons,
    Optional<String> reportId,
    Instant time,
    Optional<BaselineChange> baseline,
    Optional<String> imaRestart,
    List<String> flavorIds) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The event name of a status event. */
  public static final String STATUS_EVENT = "status";

  /** The event name of a status event that also reports a changed baseline. */
  public static final String BASELINE_CHANGED_EVENT = "baseline-changed";

  /** The event name of an IMA restart: published only, never a cause for node actions. */
  public static final String IMA_RESTART_EVENT = "ima-restart";

  public StatusChange {
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(previous, "previous");
    Objects.requireNonNull(current, "current");
    reasons = List.copyOf(reasons);
    Objects.requireNonNull(reportId, "reportId");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(baseline, "baseline");
    Objects.requireNonNull(imaRestart, "imaRestart");
    flavorIds = List.copyOf(flavorIds);
  }

  /** A change that names no flavors. */
  public StatusChange(
      String hostId,
      HostStatus previous,
      HostStatus current,
      List<String> reasons,
      Optional<String> reportId,
      Instant time,
      Optional<BaselineChange> baseline,
      Optional<String> imaRestart) {
    this(hostId, previous, current, reasons, reportId, time, baseline, imaRestart, List.of());
  }

  /** A status event, with a baseline change when one is given. */
  public StatusChange(
      String hostId,
      HostStatus previous,
      HostStatus current,
      List<String> reasons,
      Optional<String> reportId,
      Instant time,
      Optional<BaselineChange> baseline) {
    this(hostId, previous, current, reasons, reportId, time, baseline, Optional.empty());
  }

  /** The {@link #IMA_RESTART_EVENT} of a host whose attestation ended in {@code status}. */
  public static StatusChange imaRestart(
      String hostId, HostStatus status, String reason, Optional<String> reportId, Instant time) {
    return new StatusChange(
        hostId, status, status, List.of(), reportId, time, Optional.empty(), Optional.of(reason));
  }

  /** A status event without a baseline change. */
  public StatusChange(
      String hostId,
      HostStatus previous,
      HostStatus current,
      List<String> reasons,
      Optional<String> reportId,
      Instant time) {
    this(hostId, previous, current, reasons, reportId, time, Optional.empty());
  }

  /**
   * {@link #IMA_RESTART_EVENT} for an IMA restart, {@link #BASELINE_CHANGED_EVENT} when the
   * baseline changed, else {@link #STATUS_EVENT}.
   */
  public String event() {
    return imaRestart.isPresent()
        ? IMA_RESTART_EVENT
        : baseline.isPresent() ? BASELINE_CHANGED_EVENT : STATUS_EVENT;
  }

  /** True when the status differs from the previous one. */
  public boolean changed() {
    return previous != current;
  }

  /**
   * The event body, in snake_case as the HTTP API: {@code {"event","host_id","previous","current",
   * "reasons","report_id","flavor_ids","time"}} with the statuses as enum names, {@code report_id}
   * null when absent and {@code time} in ISO-8601 (UTC, milliseconds); a baseline-changed event
   * adds {@code "baseline": {"previous_reset_count", "reset_count", "adopted", "pcrs":
   * [{"bank","pcr","before","after","events_known", "events_added","events_removed"}]}}; an
   * ima-restart event adds {@code "ima_restart": {"reason"}}.
   */
  public byte[] toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("event", event());
    m.put("host_id", hostId);
    m.put("previous", previous.name());
    m.put("current", current.name());
    m.put("reasons", reasons);
    m.put("report_id", reportId.orElse(null));
    m.put("flavor_ids", flavorIds);
    m.put("time", time.truncatedTo(ChronoUnit.MILLIS).toString());
    baseline.ifPresent(b -> m.put("baseline", b.toMap()));
    imaRestart.ifPresent(r -> m.put("ima_restart", Map.of("reason", r)));
    try {
      return JSON.writeValueAsString(m).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      // strings, numbers, booleans, lists and maps of them, and null always serialize
      throw new IllegalStateException(e);
    }
  }
}
