package dev.vouch.policy.flavor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmClaims;
import dev.vouch.evidence.tpm.eventlog.ActionEvent;
import dev.vouch.evidence.tpm.eventlog.CrtmVersionEvent;
import dev.vouch.evidence.tpm.eventlog.EfiImageLoadEvent;
import dev.vouch.evidence.tpm.eventlog.EfiVariableEvent;
import dev.vouch.evidence.tpm.eventlog.EventTagEvent;
import dev.vouch.evidence.tpm.eventlog.IplEvent;
import dev.vouch.evidence.tpm.eventlog.OpaqueEvent;
import dev.vouch.evidence.tpm.eventlog.PlatformDataEvent;
import dev.vouch.evidence.tpm.eventlog.SecureBootState;
import dev.vouch.evidence.tpm.eventlog.StartupLocalityEvent;
import dev.vouch.evidence.tpm.eventlog.TcgEvent;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * What the verifier knows about a host after its evidence passed: quoted PCR values, the events of
 * the replayed firmware log per bank and PCR, Secure Boot as that verified log states it, the TPM
 * reset count (reboots) and optionally the IMA file measurements covered by the quote.
 *
 * @param host the unsigned host facts
 * @param pcrs the quoted register values
 * @param events per bank, per PCR: the events of the verified log, in log order
 * @param eventLogVerified true when the log was replayed against the quoted PCRs
 * @param secureBoot the {@code SecureBoot} variable from the verified log; empty when not shown
 * @param resetCount the quote's TPM reset count
 * @param ima IMA measurements covered by the quoted PCR 10, when collected
 * @param measured the host facts the verified logs measure (the full-disk encryption prerequisite
 *     is judged on these alone); {@link MeasuredFacts#none()} when nothing was measured
 */
public record HostEvidence(
    HostFacts host,
    PcrValues pcrs,
    Map<HashAlg, Map<Integer, List<FlavorEvent>>> events,
    boolean eventLogVerified,
    Optional<Boolean> secureBoot,
    OptionalLong resetCount,
    Optional<List<ImaMeasurement>> ima,
    MeasuredFacts measured) {

  /** Evidence of which no host fact was measured. */
  public HostEvidence(
      HostFacts host,
      PcrValues pcrs,
      Map<HashAlg, Map<Integer, List<FlavorEvent>>> events,
      boolean eventLogVerified,
      Optional<Boolean> secureBoot,
      OptionalLong resetCount,
      Optional<List<ImaMeasurement>> ima) {
    this(host, pcrs, events, eventLogVerified, secureBoot, resetCount, ima, MeasuredFacts.none());
  }

  public HostEvidence {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(pcrs, "pcrs");
    Map<HashAlg, Map<Integer, List<FlavorEvent>>> copy = new TreeMap<>();
    events.forEach(
        (bank, byPcr) -> {
          Map<Integer, List<FlavorEvent>> inner = new TreeMap<>();
          byPcr.forEach((i, l) -> inner.put(i, List.copyOf(l)));
          copy.put(bank, Collections.unmodifiableMap(inner));
        });
    events = Collections.unmodifiableMap(copy);
    Objects.requireNonNull(secureBoot, "secureBoot");
    Objects.requireNonNull(resetCount, "resetCount");
    ima = ima.map(List::copyOf);
    Objects.requireNonNull(measured, "measured");
  }

  /** The events of one PCR in one bank, or empty when the log has none for it. */
  public Optional<List<FlavorEvent>> eventsOf(HashAlg bank, int pcr) {
    Map<Integer, List<FlavorEvent>> byPcr = events.get(bank);
    return byPcr == null ? Optional.empty() : Optional.ofNullable(byPcr.get(pcr));
  }

  /** The same evidence with other PCR values (tests and what-if checks). */
  public HostEvidence withPcrs(PcrValues other) {
    return new HostEvidence(
        host, other, events, eventLogVerified, secureBoot, resetCount, ima, measured);
  }

  /** The same evidence with another reset count (a reboot). */
  public HostEvidence withResetCount(long count) {
    return new HostEvidence(
        host, pcrs, events, eventLogVerified, secureBoot, OptionalLong.of(count), ima, measured);
  }

  /** The same evidence with IMA measurements. */
  public HostEvidence withIma(List<ImaMeasurement> measurements) {
    return new HostEvidence(
        host,
        pcrs,
        events,
        eventLogVerified,
        secureBoot,
        resetCount,
        Optional.of(measurements),
        measured);
  }

  /**
   * The same evidence with the facts {@code facts} measured, applied to the host facts (measured
   * facts replace what the agent said).
   */
  public HostEvidence withMeasured(MeasuredFacts facts) {
    return new HostEvidence(
        facts.applyTo(host), pcrs, events, eventLogVerified, secureBoot, resetCount, ima, facts);
  }

  /**
   * The same evidence with the host's software measurements as the events of SHA-256 PCR 15, each
   * of type {@link FlavorEvent#SOFTWARE_FILE_TYPE}, tagged and described by its path. Give only
   * measurements already replayed against the quoted PCR 15; none leaves the evidence as it is, so
   * a SOFTWARE flavor cannot be made from a host that measured nothing.
   */
  public HostEvidence withSoftware(
      List<dev.vouch.evidence.tpm.protocol.SoftwareMeasurement> files) {
    if (files.isEmpty()) {
      return this;
    }
    List<FlavorEvent> list = new java.util.ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      var m = files.get(i);
      list.add(
          new FlavorEvent(
              FlavorEvent.SOFTWARE_FILE,
              FlavorEvent.SOFTWARE_FILE_TYPE,
              List.of(m.path()),
              Hex.encode(m.sha256()),
              java.util.OptionalInt.of(i),
              m.absent() ? m.path() + " (absent)" : m.path()));
    }
    Map<HashAlg, Map<Integer, List<FlavorEvent>>> all = new TreeMap<>();
    events.forEach((bank, byPcr) -> all.put(bank, new TreeMap<>(byPcr)));
    all.computeIfAbsent(HashAlg.SHA256, b -> new TreeMap<>())
        .put(dev.vouch.evidence.tpm.protocol.SoftwareMeasurement.PCR, list);
    return new HostEvidence(
        host, pcrs, all, eventLogVerified, secureBoot, resetCount, ima, measured);
  }

  /**
   * Evidence from a verified TPM attestation: the claims of {@code TpmEvidenceVerifier} (quoted
   * PCRs, {@code tpm.reset_count}, {@code tpm.eventlog.verified}, {@code tpm.secure_boot}) and the
   * event log that verifier replayed. Secure Boot is taken from the claims only, never from what
   * the host says.
   *
   * @throws VerificationException PCR_VALUES_MISSING when the claims hold no PCR,
   *     EVENT_LOG_MISMATCH when a log is given but the claims say none was verified
   */
  public static HostEvidence fromVerified(Claims claims, Optional<TcgEventLog> log, HostFacts host)
      throws VerificationException {
    PcrValues.Builder b = PcrValues.builder();
    int count = 0;
    for (var e : claims.values().entrySet()) {
      String k = e.getKey();
      if (!k.startsWith(TpmClaims.PCR_PREFIX)) {
        continue;
      }
      String[] parts = k.substring(TpmClaims.PCR_PREFIX.length()).split("\\.");
      if (parts.length != 2 || !parts[1].chars().allMatch(Character::isDigit)) {
        continue;
      }
      Optional<HashAlg> bank = HashAlg.fromName(parts[0]);
      if (bank.isEmpty() || !Hex.isHex(String.valueOf(e.getValue()))) {
        continue;
      }
      b.put(bank.get(), Integer.parseInt(parts[1]), Hex.decode(String.valueOf(e.getValue())));
      count++;
    }
    if (count == 0) {
      throw new VerificationException(Failure.PCR_VALUES_MISSING, "the claims hold no PCR value");
    }
    boolean verified = Boolean.TRUE.equals(claims.get(TpmClaims.EVENTLOG_VERIFIED));
    if (log.isPresent() && !verified) {
      throw new VerificationException(
          Failure.EVENT_LOG_MISMATCH, "an event log was given that the verifier did not replay");
    }
    Object sb = claims.get(TpmClaims.SECURE_BOOT);
    Object reset = claims.get(TpmClaims.RESET_COUNT);
    return new HostEvidence(
        host,
        b.build(),
        log.map(HostEvidence::eventsOf).orElse(Map.of()),
        verified,
        sb instanceof Boolean bool ? Optional.of(bool) : Optional.empty(),
        reset instanceof Number n ? OptionalLong.of(n.longValue()) : OptionalLong.empty(),
        Optional.empty());
  }

  /**
   * Evidence from a host attestation the server already verified (its quoted PCRs, whether the
   * firmware log replayed, that log, the Secure Boot state the verified log shows, and the quote's
   * reset count).
   */
  public static HostEvidence of(
      HostFacts host,
      PcrValues quoted,
      boolean eventLogVerified,
      Optional<TcgEventLog> verifiedLog,
      Optional<SecureBootState> secureBoot,
      long resetCount) {
    return new HostEvidence(
        host,
        quoted,
        eventLogVerified ? verifiedLog.map(HostEvidence::eventsOf).orElse(Map.of()) : Map.of(),
        eventLogVerified,
        eventLogVerified
            ? secureBoot.flatMap(SecureBootState::secureBootEnabled)
            : Optional.empty(),
        OptionalLong.of(resetCount),
        Optional.empty());
  }

  /** Groups a log's events by bank and PCR, tagging UEFI variable events with the variable name. */
  public static Map<HashAlg, Map<Integer, List<FlavorEvent>>> eventsOf(TcgEventLog log) {
    Map<HashAlg, Map<Integer, List<FlavorEvent>>> out = new TreeMap<>();
    for (TcgEvent e : log.events()) {
      // tags as ISecL's manifests have them: UEFI variable names, and StartupLocality<n>
      List<String> tags =
          switch (e) {
            case EfiVariableEvent v -> List.of(v.name());
            case StartupLocalityEvent l -> List.of(STARTUP_LOCALITY + l.locality());
            default -> List.of();
          };
      String description = describe(e);
      for (var d : e.digests().entrySet()) {
        out.computeIfAbsent(d.getKey(), k -> new TreeMap<>())
            .computeIfAbsent(e.pcr(), k -> new ArrayList<>())
            .add(
                new FlavorEvent(
                    e.type(),
                    e.typeName(),
                    tags,
                    Hex.encode(d.getValue()),
                    OptionalInt.of(e.index()),
                    description));
      }
    }
    return out;
  }

  /**
   * ISecL's tag of the StartupLocality event, followed by the locality: {@code StartupLocality3}.
   */
  static final String STARTUP_LOCALITY = "StartupLocality";

  private static final int DESCRIPTION_LIMIT = 200;

  /** A short readable account of an event's data, for faults; empty when it has none. */
  static String describe(TcgEvent e) {
    String text =
        switch (e) {
          case IplEvent ipl -> ipl.text();
          case ActionEvent a -> a.text();
          case EfiVariableEvent v -> v.name();
          case EfiImageLoadEvent img -> img.devicePathText().orElse("");
          case CrtmVersionEvent c -> c.version().orElse("");
          case PlatformDataEvent p -> p.text().orElse("");
          case StartupLocalityEvent l -> STARTUP_LOCALITY + " " + l.locality();
          case EventTagEvent t -> printable(t.taggedEventData());
          case OpaqueEvent o -> printable(o.data());
          default -> "";
        };
    return text.length() > DESCRIPTION_LIMIT ? text.substring(0, DESCRIPTION_LIMIT) : text;
  }

  /** The data as text when it is printable ASCII (a trailing NUL allowed), else empty. */
  private static String printable(byte[] data) {
    int n = data.length;
    while (n > 0 && data[n - 1] == 0) {
      n--;
    }
    if (n == 0) {
      return "";
    }
    for (int i = 0; i < n; i++) {
      if (data[i] < 0x20 || data[i] > 0x7e) {
        return "";
      }
    }
    return new String(data, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
  }

  /**
   * Evidence from an ISecL host manifest ({@code host_info}, {@code pcr_manifest} with {@code
   * sha1pcrs}/{@code sha2pcrs}/{@code sha3pcrs} and {@code pcr_event_log_map}). ISecL manifests are
   * built by its verifier after quote checks, so the log counts as verified; Secure Boot is read
   * from {@code host_info.hardware_features.UEFI.meta.secure_boot_enabled}, which is the host's own
   * claim: use this for ISecL data only.
   */
  public static HostEvidence fromIseclManifest(byte[] json) throws VerificationException {
    JsonNode root = FlavorJson.object(FlavorJson.tree(json), "host manifest");
    JsonNode info = FlavorJson.object(root.get("host_info"), "host_info");
    JsonNode pm = FlavorJson.object(root.get("pcr_manifest"), "pcr_manifest");
    PcrValues.Builder b = PcrValues.builder();
    for (String list : List.of("sha1pcrs", "sha2pcrs", "sha3pcrs")) {
      JsonNode l = pm.get(list);
      if (l == null || l.isNull()) {
        continue;
      }
      for (JsonNode p : l) {
        String idx = FlavorJson.text(p.get("index"), "pcr index");
        int i;
        try {
          i = Integer.parseInt(idx.startsWith("pcr_") ? idx.substring(4) : idx);
        } catch (NumberFormatException e) {
          throw FlavorJson.malformed("bad PCR index " + idx);
        }
        b.put(
            Banks.parse(FlavorJson.text(p.get("pcr_bank"), "pcr_bank")),
            i,
            Hex.decode(FlavorJson.hex(p.get("value"), "pcr value")));
      }
    }
    Map<HashAlg, Map<Integer, List<FlavorEvent>>> events = new TreeMap<>();
    JsonNode map = pm.get("pcr_event_log_map");
    if (map != null && map.isObject()) {
      var it = map.fields();
      while (it.hasNext()) {
        var bankEntry = it.next();
        HashAlg bank = Banks.parse(bankEntry.getKey());
        for (JsonNode entry : bankEntry.getValue()) {
          int i = FlavorJson.object(entry.get("pcr"), "pcr").path("index").asInt(-1);
          events
              .computeIfAbsent(bank, k -> new TreeMap<>())
              .put(i, FlavorJson.readEvents(entry.get("tpm_events")));
        }
      }
    }
    JsonNode sb =
        info.path("hardware_features").path("UEFI").path("meta").path("secure_boot_enabled");
    HostFacts facts =
        new HostFacts(
            info.path("host_name").asText(""),
            info.path("hardware_uuid").asText(""),
            info.path("os_name").asText(""),
            info.path("os_version").asText(""),
            info.path("bios_name").asText(""),
            info.path("bios_version").asText(""),
            info.path("tpm_version").asText(""));
    return new HostEvidence(
        facts,
        b.build(),
        events,
        true,
        sb.isBoolean() ? Optional.of(sb.asBoolean()) : Optional.empty(),
        OptionalLong.empty(),
        Optional.empty());
  }
}
