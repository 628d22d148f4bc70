package dev.vouch.server.manager;

import dev.vouch.policy.flavor.HostStatus;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One enrolled host as the registry holds it.
 *
 * @param id the host's stable identifier
 * @param group the host group, which selects the poll interval
 * @param connection how to reach the host's agent (an address or subject the channel understands)
 * @param status the status of the last completed attestation ({@code UNKNOWN} before the first)
 * @param lastResetCount the TPM reset count last seen, empty before the first
 * @param nextDue when the host is next due for attestation
 * @param leaseOwner the replica attesting the host now, if its lease is recorded
 * @param leaseUntil when that lease runs out
 * @param lastAttested when the last attestation completed
 * @param lastReportId the attestation report behind {@code status}, if any
 */
public record Host(
    String id,
    String group,
    String connection,
    HostStatus status,
    OptionalLong lastResetCount,
    Instant nextDue,
    Optional<String> leaseOwner,
    Optional<Instant> leaseUntil,
    Optional<Instant> lastAttested,
    Optional<String> lastReportId) {}
