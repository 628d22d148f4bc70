package dev.vouch.policy.report;

import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.HostEvidence;
import dev.vouch.policy.flavor.HostFacts;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.flavor.HostTrust;
import dev.vouch.policy.flavor.PartTrust;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The result of one host verification, as stored, shown and signed: host facts, the host status,
 * ISecL's OVERALL trust and trust per flavor part with every rule result and fault, and the window
 * in which the report is valid. {@link TrustReportJson} gives its JSON (ISecL's report envelope
 * plus {@code status} and {@code detail}); {@link TrustReports} signs and verifies it.
 *
 * @param id the report id
 * @param hostId the host id
 * @param host the host facts (TPM version, OS name and version, BIOS version, ...)
 * @param secureBoot Secure Boot as the verified event log shows it; empty when not shown
 * @param status the host status
 * @param overall ISecL's OVERALL; forced to false unless {@code status} is VERIFIED, so a report
 *     never says "trusted" about a host that is SECURE_BOOT_DISABLED, ATTESTATION_FAILED or UNKNOWN
 *     (ISecL computes OVERALL from flavor parts alone, and Secure Boot is no flavor part)
 * @param parts trust per flavor part
 * @param flavors trust per evaluated flavor
 * @param detail a sentence for people
 * @param created when the report was made (start of validity)
 * @param expires end of validity
 * @param factSources where each known host fact came from, by its {@code host_info} name: {@code
 *     measured} (a digest-checked event of a quoted PCR), {@code reported} (the agent's word) or
 *     {@code ek-certificate} (see {@link dev.vouch.policy.flavor.MeasuredFacts}); empty in reports
 *     made before sources were recorded, whose facts are all reported
 */
public record TrustReport(
    UUID id,
    String hostId,
    HostFacts host,
    Optional<Boolean> secureBoot,
    HostStatus status,
    boolean overall,
    Map<FlavorPart, PartTrust> parts,
    List<FlavorTrust> flavors,
    String detail,
    Instant created,
    Instant expires,
    Map<String, String> factSources) {
  public TrustReport {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(secureBoot, "secureBoot");
    Objects.requireNonNull(status, "status");
    overall = overall && status == HostStatus.VERIFIED;
    Map<FlavorPart, PartTrust> copy = new EnumMap<>(FlavorPart.class);
    copy.putAll(parts);
    parts = java.util.Collections.unmodifiableMap(copy);
    flavors = List.copyOf(flavors);
    Objects.requireNonNull(detail, "detail");
    Objects.requireNonNull(created, "created");
    Objects.requireNonNull(expires, "expires");
    factSources = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(factSources));
  }

  /** A report that records no fact sources (every fact as the agent reported it). */
  public TrustReport(
      UUID id,
      String hostId,
      HostFacts host,
      Optional<Boolean> secureBoot,
      HostStatus status,
      boolean overall,
      Map<FlavorPart, PartTrust> parts,
      List<FlavorTrust> flavors,
      String detail,
      Instant created,
      Instant expires) {
    this(
        id,
        hostId,
        host,
        secureBoot,
        status,
        overall,
        parts,
        flavors,
        detail,
        created,
        expires,
        Map.of());
  }

  /** A report of a match, valid from {@code created} for {@code validity}. */
  public static TrustReport of(
      UUID id,
      String hostId,
      HostEvidence evidence,
      HostTrust trust,
      Instant created,
      Duration validity) {
    return of(id, hostId, evidence, trust, created, validity, Map.of());
  }

  /** The same, recording where each host fact came from. */
  public static TrustReport of(
      UUID id,
      String hostId,
      HostEvidence evidence,
      HostTrust trust,
      Instant created,
      Duration validity,
      Map<String, String> factSources) {
    return new TrustReport(
        id,
        hostId,
        evidence.host(),
        evidence.secureBoot(),
        trust.status(),
        trust.overall(),
        trust.parts(),
        trust.flavors().stream()
            .map(f -> new FlavorTrust(f.flavorId(), f.part(), f.trusted()))
            .toList(),
        trust.detail(),
        created,
        created.plus(validity),
        factSources);
  }

  /**
   * Whether one flavor matched the host.
   *
   * @param flavorId the flavor
   * @param part its part
   * @param trusted every rule of the flavor passed
   */
  public record FlavorTrust(UUID flavorId, FlavorPart part, boolean trusted) {
    public FlavorTrust {
      Objects.requireNonNull(flavorId, "flavorId");
      Objects.requireNonNull(part, "part");
    }
  }

  /** True when the report says the host is trusted: status VERIFIED and OVERALL true. */
  public boolean trusted() {
    return overall && status == HostStatus.VERIFIED;
  }

  /** True when {@code at} lies in [created, expires]. */
  public boolean validAt(Instant at) {
    return !at.isBefore(created) && !at.isAfter(expires);
  }
}
