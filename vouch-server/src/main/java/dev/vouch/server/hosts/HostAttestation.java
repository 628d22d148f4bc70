package dev.vouch.server.hosts;

import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmAttest;
import dev.vouch.evidence.tpm.eventlog.SecureBootState;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.evidence.tpm.protocol.HostInfo;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A host attestation that passed: the quote is fresh, signed by the host's enrolled AK, and the PCR
 * values (and the event log, when one was asked for) agree with it.
 *
 * @param hostId the host
 * @param attestedAt when the verifier accepted the quote
 * @param pcrs the quoted register values
 * @param clock the TPM clock info from the quote: reset count (reboots) and restart count
 * @param rebooted true when the reset count grew since this verifier last attested the host
 * @param eventLogVerified true when a firmware event log was replayed and matched the quote
 * @param eventLog the firmware event log, when it was replayed and matched the quote
 * @param secureBoot the Secure Boot state the verified event log describes
 * @param host the agent's unsigned host facts
 * @param imaEntriesQuoted when the plan asked for IMA: how many entries of {@code imaLog} the
 *     quoted PCR 10 covers (their file digests are for policy to judge)
 * @param imaLog the IMA list the agent sent (binary)
 */
public record HostAttestation(
    String hostId,
    Instant attestedAt,
    PcrValues pcrs,
    TpmAttest.ClockInfo clock,
    boolean rebooted,
    boolean eventLogVerified,
    Optional<TcgEventLog> eventLog,
    Optional<SecureBootState> secureBoot,
    HostInfo host,
    OptionalInt imaEntriesQuoted,
    Optional<byte[]> imaLog) {
  public HostAttestation {
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(attestedAt, "attestedAt");
    Objects.requireNonNull(pcrs, "pcrs");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(eventLog, "eventLog");
    Objects.requireNonNull(secureBoot, "secureBoot");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(imaEntriesQuoted, "imaEntriesQuoted");
    imaLog = imaLog.map(byte[]::clone);
  }

  @Override
  public Optional<byte[]> imaLog() {
    return imaLog.map(byte[]::clone);
  }
}
