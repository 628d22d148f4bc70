package dev.vouch.server.hosts;

import dev.vouch.core.Claims;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmClaims;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.evidence.tpm.ima.BootAggregate;
import dev.vouch.evidence.tpm.ima.ImaCheckpoint;
import dev.vouch.evidence.tpm.ima.ImaLog;
import dev.vouch.evidence.tpm.ima.ImaReplayMode;
import dev.vouch.evidence.tpm.protocol.HostInfo;
import dev.vouch.evidence.tpm.protocol.SoftwareMeasurement;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A host attestation that passed: {@code TpmEvidenceVerifier} accepted the answer under the host's
 * enrolled AK and this attestation's nonce, and it holds what the quote plan asked for. Everything
 * the host is judged by comes from the verifier's {@link #claims()}; the accessors below only read
 * them.
 *
 * @param hostId the host
 * @param attestedAt when the verifier accepted the quote
 * @param claims the verifier's claims ({@link TpmClaims}): quoted PCRs, reset count, whether the
 *     event log and IMA list reproduced the quote, Secure Boot as the verified log shows it, ...
 * @param eventLog the firmware event log the verifier replayed, when the plan asked for it
 * @param host the agent's unsigned host facts
 * @param imaLog the IMA entries the agent sent (binary), when the plan asked for them: the whole
 *     list, or only the entries from {@link #imaOffset()} on when the attestation continued a
 *     checkpoint
 * @param imaRestart why a checkpoint the attestation was asked to continue was discarded and the
 *     whole list verified instead (a reboot, a mismatch); empty when none was or it held
 * @param hardwareId the machine HOST_UNIQUE flavors are bound to: the SMBIOS UUID the agent
 *     reports, or {@code ek-sha256:} and the digest of the EK certificate the registrar checked at
 *     enrollment when the agent reports none
 * @param software the software measurements, when the plan asked for them: they replayed to the
 *     quoted SHA-256 PCR 15
 */
public record HostAttestation(
    String hostId,
    Instant attestedAt,
    Claims claims,
    Optional<TcgEventLog> eventLog,
    HostInfo host,
    Optional<byte[]> imaLog,
    Optional<String> imaRestart,
    String hardwareId,
    Optional<List<SoftwareMeasurement>> software) {
  public HostAttestation {
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(attestedAt, "attestedAt");
    Objects.requireNonNull(claims, "claims");
    Objects.requireNonNull(eventLog, "eventLog");
    Objects.requireNonNull(host, "host");
    imaLog = imaLog.map(byte[]::clone);
    Objects.requireNonNull(imaRestart, "imaRestart");
    Objects.requireNonNull(hardwareId, "hardwareId");
    software = software.map(List::copyOf);
  }

  /** The same attestation, recording why a checkpoint was discarded. */
  HostAttestation withImaRestart(String reason) {
    return new HostAttestation(
        hostId,
        attestedAt,
        claims,
        eventLog,
        host,
        imaLog,
        Optional.of(reason),
        hardwareId,
        software);
  }

  /** The quote's restart count ({@code tpm.restart_count}). */
  public long restartCount() {
    return ((Number) claims.get(TpmClaims.RESTART_COUNT)).longValue();
  }

  /** The 0-based number of the first IMA entry in {@link #imaLog()} ({@code tpm.ima.offset}). */
  public long imaOffset() {
    return claims.get(TpmClaims.IMA_OFFSET) instanceof Number n ? n.longValue() : 0;
  }

  /** The boot_aggregate check ({@code tpm.ima.boot_aggregate}); NOT_CHECKED without IMA. */
  public BootAggregate.Result bootAggregate() {
    Object v = claims.get(TpmClaims.IMA_BOOT_AGGREGATE);
    return v == null
        ? BootAggregate.Result.NOT_CHECKED
        : BootAggregate.Result.valueOf(String.valueOf(v).toUpperCase(Locale.ROOT));
  }

  /**
   * Where the next attestation of this boot may continue: the quoted entries and PCR 10 of every
   * bank quoted, when the IMA list was verified.
   */
  public Optional<ImaProgress> imaProgress() {
    OptionalInt quoted = imaEntriesQuoted();
    Object mode = claims.get(TpmClaims.IMA_MODE);
    if (!Boolean.TRUE.equals(claims.get(TpmClaims.IMA_VERIFIED))
        || quoted.isEmpty()
        || mode == null) {
      return Optional.empty();
    }
    PcrValues all = pcrs();
    PcrValues.Builder pcr10 = PcrValues.builder();
    boolean any = false;
    for (HashAlg b : all.banks()) {
      Optional<byte[]> v = all.get(b, ImaLog.IMA_PCR);
      if (v.isPresent()) {
        pcr10.put(b, ImaLog.IMA_PCR, v.get());
        any = true;
      }
    }
    if (!any) {
      return Optional.empty();
    }
    return Optional.of(
        new ImaProgress(
            resetCount(),
            restartCount(),
            new ImaCheckpoint(
                quoted.getAsInt(),
                ImaReplayMode.valueOf(String.valueOf(mode).toUpperCase(Locale.ROOT)),
                pcr10.build())));
  }

  @Override
  public Optional<byte[]> imaLog() {
    return imaLog.map(byte[]::clone);
  }

  /** The quoted register values ({@code tpm.pcr.<bank>.<index>} claims). */
  public PcrValues pcrs() {
    PcrValues.Builder b = PcrValues.builder();
    for (Map.Entry<String, Object> e : claims.values().entrySet()) {
      if (!e.getKey().startsWith(TpmClaims.PCR_PREFIX)) {
        continue;
      }
      String[] parts = e.getKey().substring(TpmClaims.PCR_PREFIX.length()).split("\\.");
      Optional<HashAlg> bank = parts.length == 2 ? HashAlg.fromName(parts[0]) : Optional.empty();
      if (bank.isPresent() && parts[1].chars().allMatch(Character::isDigit)) {
        b.put(
            bank.get(),
            Integer.parseInt(parts[1]),
            dev.vouch.core.bytes.Hex.decode(String.valueOf(e.getValue())));
      }
    }
    return b.build();
  }

  /** The quote's TPM reset count ({@code tpm.reset_count}): it grows with every reboot. */
  public long resetCount() {
    return ((Number) claims.get(TpmClaims.RESET_COUNT)).longValue();
  }

  /** Whether the firmware event log reproduced the quote ({@code tpm.eventlog.verified}). */
  public boolean eventLogVerified() {
    return Boolean.TRUE.equals(claims.get(TpmClaims.EVENTLOG_VERIFIED));
  }

  /** Secure Boot as the verified event log shows it ({@code tpm.secure_boot}); empty if not. */
  public Optional<Boolean> secureBoot() {
    return claims.get(TpmClaims.SECURE_BOOT) instanceof Boolean b
        ? Optional.of(b)
        : Optional.empty();
  }

  /**
   * How many IMA entries, from the list's start, the quoted PCR 10 covers ({@code
   * tpm.ima.quoted_entries}).
   */
  public OptionalInt imaEntriesQuoted() {
    return claims.get(TpmClaims.IMA_QUOTED_ENTRIES) instanceof Number n
        ? OptionalInt.of(n.intValue())
        : OptionalInt.empty();
  }
}
