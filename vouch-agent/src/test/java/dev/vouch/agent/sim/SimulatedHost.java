package dev.vouch.agent.sim;

import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrSelection;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.eventlog.TcgEvent;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.evidence.tpm.protocol.AgentAnnouncement;
import dev.vouch.evidence.tpm.protocol.HostIds;
import dev.vouch.evidence.tpm.protocol.HostInfo;
import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import dev.vouch.evidence.tpm.protocol.QuoteResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;

/**
 * One simulated host: a {@link SimulatedTpm} whose PCRs 0-9 hold a real firmware event log's
 * SHA-256 measurements, answering {@link QuoteRequest}s with the {@link QuoteResponse} the trust
 * agent ({@code dev.vouch.agent.trust.TrustAgent}) would send: the AK's TPM2B_PUBLIC, one quote
 * over the asked registers, their values, the event log when asked, no IMA list, and host facts. It
 * can be told to misbehave ({@link Answer}), to have a register changed behind the log's back
 * ({@link #tamper}) and to reboot. Thread-safe.
 */
public final class SimulatedHost {
  /** EV_NO_ACTION: logged but never extended. */
  private static final long EV_NO_ACTION = 3;

  /** Facts every simulated host reports; unsigned and for display only, as the real ones. */
  static final HostInfo FACTS =
      new HostInfo(
          "Vouch Simulated OS",
          "1.0",
          "6.1.0-simulated",
          "Vouch",
          "sim-1",
          "SIM",
          "vouch-simulated-tpm",
          "1.2.3.4",
          "");

  /** How a host answers quote requests. */
  public enum Answer {
    /** As a healthy agent does. */
    HONEST,
    /** With one bit of the quote's signature flipped, as a forger or a broken transport would. */
    BAD_SIGNATURE,
    /** Quoting a nonce other than the one asked, as a replay of an old answer would. */
    WRONG_NONCE,
    /**
     * With the last data byte of the log's first SecureBoot variable flipped and its digests kept,
     * so every PCR still replays: a forger claiming another Secure Boot state.
     */
    FORGED_SECURE_BOOT
  }

  /**
   * A firmware event log and the measurements it records, extended at every boot.
   *
   * @param bytes the log as the kernel exposes it (binary_bios_measurements)
   * @param measurements the SHA-256 digests of its measured events of PCRs 0-9, in log order
   */
  public record FirmwareLog(byte[] bytes, List<Measurement> measurements) {
    /** The keylime Secure Boot log the agent and end-to-end tests use. */
    public static final String KEYLIME_SECURE_BOOT =
        "/vectors/tpm-eventlog/keylime/binary_bios_measurements-secureboot";

    public FirmwareLog {
      bytes = bytes.clone();
      measurements = List.copyOf(measurements);
    }

    @Override
    public byte[] bytes() {
      return bytes.clone();
    }

    /** Reads a log; only logs that start from locality 0 (PCR 0 zero at reset) are accepted. */
    public static FirmwareLog of(byte[] bytes) throws VerificationException {
      TcgEventLog log = TcgEventLog.parse(bytes);
      if (log.startupLocality() != 0) {
        throw new IllegalArgumentException("the simulated TPM starts PCR 0 at zero (locality 0)");
      }
      List<Measurement> out = new ArrayList<>();
      for (TcgEvent e : log.events()) {
        if (e.header().type() == EV_NO_ACTION || e.header().pcr() > 9) {
          continue;
        }
        e.header()
            .digest(HashAlg.SHA256)
            .ifPresent(d -> out.add(new Measurement(e.header().pcr(), d)));
      }
      return new FirmwareLog(bytes, out);
    }

    /** {@link #KEYLIME_SECURE_BOOT} from the class path (the vouch-agent test-jar ships it). */
    public static FirmwareLog keylimeSecureBoot() {
      try (InputStream in = SimulatedHost.class.getResourceAsStream(KEYLIME_SECURE_BOOT)) {
        if (in == null) {
          throw new IllegalStateException(KEYLIME_SECURE_BOOT + " is not on the class path");
        }
        return of(in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (VerificationException e) {
        throw new IllegalStateException("the shipped event log does not parse", e);
      }
    }
  }

  /** One extend of a boot: a register and a SHA-256 digest. */
  public record Measurement(int pcr, byte[] digest) {
    public Measurement {
      digest = digest.clone();
    }

    @Override
    public byte[] digest() {
      return digest.clone();
    }
  }

  private final String hostId;
  private final SimulatedTpm tpm;
  private final FirmwareLog firmware;
  private volatile Answer answer = Answer.HONEST;

  /** A host that has just booted {@code firmware} on {@code tpm}. */
  public SimulatedHost(String hostId, SimulatedTpm tpm, FirmwareLog firmware) {
    this.hostId = HostIds.isValid(hostId) ? hostId : invalid(hostId);
    this.tpm = tpm;
    this.firmware = firmware;
    measureBoot();
  }

  private static String invalid(String hostId) {
    throw new IllegalArgumentException("invalid host id " + hostId);
  }

  public String hostId() {
    return hostId;
  }

  public SimulatedTpm tpm() {
    return tpm;
  }

  /** From now on, answer as {@code answer} says. */
  public void answer(Answer answer) {
    this.answer = answer;
  }

  /**
   * Extends {@code pcr} with a digest the event log does not record, as code loaded outside the
   * measured boot path would: the next quote no longer matches the log's replay.
   */
  public void tamper(int pcr) {
    tpm.extend(pcr, HashAlg.SHA256.digest(("tampered " + hostId).getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Reboots: the TPM's reset count grows, its registers clear and the firmware measures the same
   * boot again, so the host attests as before but with a new reset count.
   *
   * @return the announcement the host's agent sends when it comes back
   */
  public synchronized AgentAnnouncement reboot() {
    synchronized (tpm) {
      tpm.reboot();
      measureBoot();
    }
    return announcement();
  }

  /** What the agent announces on start: host id and TPM reset count. */
  public AgentAnnouncement announcement() {
    return new AgentAnnouncement(hostId, tpm.resetCount(), 0);
  }

  private void measureBoot() {
    for (Measurement m : firmware.measurements()) {
      tpm.extend(m.pcr(), m.digest);
    }
  }

  /**
   * Answers a quote request as the trust agent does (see the class comment), or as {@link Answer}
   * says.
   *
   * @throws IllegalArgumentException when the request asks for a bank the TPM does not have (the
   *     agent then answers with a TPM_ERROR problem)
   */
  public QuoteResponse answer(QuoteRequest request) {
    Answer how = answer;
    List<PcrSelection.Bank> banks = new ArrayList<>();
    for (Map.Entry<HashAlg, SortedSet<Integer>> e : request.pcrs().entrySet()) {
      banks.add(new PcrSelection.Bank(e.getKey(), 3, List.copyOf(e.getValue())));
    }
    byte[] nonce = request.nonce();
    if (how == Answer.WRONG_NONCE) {
      nonce[0] ^= 1;
    }
    SimulatedTpm.Quote q = tpm.quote(nonce, new PcrSelection(banks));
    byte[] signature = q.signature();
    if (how == Answer.BAD_SIGNATURE) {
      signature[signature.length - 1] ^= 1;
    }
    TpmEvidenceBundle bundle =
        new TpmEvidenceBundle(
            tpm.akKey(),
            Optional.empty(),
            List.of(),
            List.of(new TpmEvidenceBundle.Quote(q.attest(), signature)),
            q.values(),
            request.includeEventLog()
                ? Optional.of(how == Answer.FORGED_SECURE_BOOT ? forgedLog() : firmware.bytes)
                : Optional.empty(),
            Optional.empty(),
            Optional.empty());
    // the simulated machine measures no software: PCR 15 stays at its reset value
    return new QuoteResponse(
        hostId,
        bundle,
        FACTS,
        0,
        request.includeSoftware() ? Optional.of(List.of()) : Optional.empty());
  }

  /** The log with the value byte of its first SecureBoot variable measurement flipped. */
  private byte[] forgedLog() {
    byte[] log = firmware.bytes.clone();
    byte[] name = "SecureBoot".getBytes(java.nio.charset.StandardCharsets.UTF_16LE);
    for (int i = 0; i + name.length + 1 <= log.length; i++) {
      if (java.util.Arrays.equals(log, i, i + name.length, name, 0, name.length)) {
        log[i + name.length] ^= 1; // the one-byte value follows the UTF-16 name
        return log;
      }
    }
    throw new IllegalStateException("the log measures no SecureBoot variable");
  }
}
