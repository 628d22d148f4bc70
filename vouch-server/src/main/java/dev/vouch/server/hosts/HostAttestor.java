package dev.vouch.server.hosts;

import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.tpm.TpmClaims;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.TpmEvidenceVerifier;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.evidence.tpm.ima.ImaCheckpoint;
import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import dev.vouch.evidence.tpm.protocol.QuoteResponse;
import dev.vouch.evidence.tpm.protocol.SoftwareMeasurement;
import dev.vouch.server.registrar.EnrolledHost;
import dev.vouch.server.registrar.EnrollmentError;
import dev.vouch.server.registrar.EnrollmentException;
import dev.vouch.server.registrar.EnrollmentStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.logging.Logger;

/**
 * Attests enrolled hosts: sends a fresh nonce to the host's agent and accepts the answer only when
 *
 * <ol>
 *   <li>it names the host asked ({@link Failure#KEY_MISMATCH} otherwise) and carries the host's
 *       enrolled AK by TPM name, which binds the key's attributes as well ({@link
 *       Failure#KEY_MISMATCH});
 *   <li>{@link TpmEvidenceVerifier#forEnrolledAk} accepts it: every quote verifies with the
 *       enrolled AK, echoes this attestation's nonce and matches the PCR values sent, the firmware
 *       event log replays to the quoted registers and the IMA list to the quoted PCR 10 (the codes
 *       are that verifier's: SIGNATURE_INVALID, NONCE_MISMATCH, PCR_DIGEST_MISMATCH,
 *       EVENT_LOG_MISMATCH, TEMPLATE_HASH_MISMATCH, ...). There is one implementation of these
 *       checks, the one the attestation service uses too;
 *   <li>it holds what the plan asks for: every register ({@link Failure#PCR_VALUES_MISSING}), the
 *       firmware event log ({@link Failure#EVENT_LOG_MISMATCH} when none came or it was not
 *       verified), the IMA list from the entry asked ({@link Failure#EVENT_LOG_MISMATCH} when none
 *       came, {@link Failure#MALFORMED} for another offset).
 * </ol>
 *
 * <p>Incremental IMA: given the host's {@link ImaProgress}, the agent is asked only for the entries
 * after its checkpoint, and they must extend the checkpoint's PCR 10 to the quoted one. The
 * checkpoint is discarded and the whole list fetched and verified at once, with a fresh nonce, when
 * the quote comes from another boot (reset or restart count changed), the agent's list is shorter
 * than the checkpoint (it answers from entry 0), or the continuation fails any check; {@link
 * HostAttestation#imaRestart()} then says why.
 *
 * <p>What the host is judged by is read from the verifier's claims ({@link
 * HostAttestation#claims()}), never recomputed here. Reboots are seen by the host registry, which
 * keeps the last reset count. Thread-safe.
 */
public final class HostAttestor {
  private static final Logger LOG = Logger.getLogger(HostAttestor.class.getName());
  private static final int NONCE_SIZE = 32;

  private final EnrollmentStore hosts;
  private final AgentChannel channel;
  private final QuotePlan plan;
  private final Clock clock;
  private final SecureRandom random;

  public HostAttestor(
      EnrollmentStore hosts,
      AgentChannel channel,
      QuotePlan plan,
      Clock clock,
      SecureRandom random) {
    this.hosts = Objects.requireNonNull(hosts, "hosts");
    this.channel = Objects.requireNonNull(channel, "channel");
    this.plan = Objects.requireNonNull(plan, "plan");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
  }

  /**
   * Attests one host now.
   *
   * @throws EnrollmentException HOST_NOT_ENROLLED
   * @throws AgentException when the agent cannot be reached or refuses
   * @throws VerificationException when the answer fails a check (codes in the class comment)
   */
  public HostAttestation attest(String hostId)
      throws EnrollmentException, AgentException, VerificationException, InterruptedException {
    return attest(hostId, Optional.empty());
  }

  /**
   * Attests one host now, continuing its IMA verification from {@code ima} when the plan checks IMA
   * (see the class comment).
   *
   * @throws EnrollmentException HOST_NOT_ENROLLED
   * @throws AgentException when the agent cannot be reached or refuses
   * @throws VerificationException when the answer fails a check (codes in the class comment); for a
   *     continuation, when the whole list fetched after it fails too
   */
  public HostAttestation attest(String hostId, Optional<ImaProgress> ima)
      throws EnrollmentException, AgentException, VerificationException, InterruptedException {
    return attest(hostId, Optional.empty(), ima);
  }

  /**
   * As {@link #attest(String, Optional)}, with the host's enrolled {@code connection} when the
   * caller already read it (the scheduler's host record), so the channel does not read it again.
   */
  public HostAttestation attest(
      String hostId, Optional<String> connection, Optional<ImaProgress> ima)
      throws EnrollmentException, AgentException, VerificationException, InterruptedException {
    EnrolledHost host =
        hosts
            .host(hostId)
            .orElseThrow(
                () ->
                    new EnrollmentException(
                        EnrollmentError.HOST_NOT_ENROLLED, "host " + hostId + " is not enrolled"));
    if (!plan.ima() || ima.isEmpty()) {
      return attestOnce(host, connection, Optional.empty());
    }
    ImaProgress from = ima.get();
    String restart;
    try {
      HostAttestation a = attestOnce(host, connection, Optional.of(from));
      if (a.imaRestart().isPresent()) {
        return a;
      }
      if (a.resetCount() == from.resetCount() && a.restartCount() == from.restartCount()) {
        return a;
      }
      // PCR 10 of a new boot matched by chance or not: entries of another boot prove nothing
      restart =
          "reboot: reset/restart count "
              + a.resetCount()
              + "/"
              + a.restartCount()
              + ", the checkpoint's "
              + from.resetCount()
              + "/"
              + from.restartCount();
    } catch (VerificationException e) {
      restart = "mismatch: " + e.failure().code() + ": " + e.getMessage();
    }
    String why = restart;
    LOG.info(
        () ->
            "host "
                + hostId
                + ": IMA checkpoint at entry "
                + from.checkpoint().entries()
                + " discarded ("
                + why
                + "); verifying the whole list");
    return attestOnce(host, connection, Optional.empty()).withImaRestart(why);
  }

  private HostAttestation attestOnce(
      EnrolledHost host, Optional<String> connection, Optional<ImaProgress> from)
      throws AgentException, VerificationException, InterruptedException {
    String hostId = host.hostId();
    byte[] nonce = new byte[NONCE_SIZE];
    random.nextBytes(nonce);
    long offset = from.map(p -> p.checkpoint().entries()).orElse(0L);
    QuoteRequest request =
        new QuoteRequest(
            nonce,
            plan.pcrs(),
            plan.eventLog(),
            plan.ima() ? OptionalLong.of(offset) : OptionalLong.empty(),
            plan.software());
    QuoteResponse response =
        connection.isPresent()
            ? channel.quote(hostId, connection.get(), request)
            : channel.quote(hostId, request);
    try {
      HostAttestation result;
      if (from.isPresent() && offset > 0 && response.imaOffset() == 0) {
        // the agent's list is shorter than the checkpoint (a new boot): it sent the whole list
        result =
            verify(host, nonce, response, Optional.empty())
                .withImaRestart(
                    "the agent's IMA list is shorter than the checkpoint's " + offset + " entries");
      } else {
        result = verify(host, nonce, response, from.map(ImaProgress::checkpoint));
      }
      LOG.info(
          () ->
              "host " + hostId + ": attestation passed (reset count " + result.resetCount() + ")");
      return result;
    } catch (VerificationException e) {
      LOG.info(() -> "host " + hostId + ": attestation failed: " + e.getMessage());
      throw e;
    }
  }

  /**
   * Verifies an agent's answer for {@code host} against {@code nonce}; public so that answers that
   * arrive by other ways (e.g. saved ones) pass the same checks.
   */
  public HostAttestation verify(EnrolledHost host, byte[] nonce, QuoteResponse response)
      throws VerificationException {
    return verify(host, nonce, response, Optional.empty());
  }

  /** The same, the IMA entries continuing {@code imaFrom} (whose boot the caller checks). */
  public HostAttestation verify(
      EnrolledHost host, byte[] nonce, QuoteResponse response, Optional<ImaCheckpoint> imaFrom)
      throws VerificationException {
    if (!response.hostId().equals(host.hostId())) {
      throw new VerificationException(
          Failure.KEY_MISMATCH,
          "asked host " + host.hostId() + ", the answer is from " + response.hostId());
    }
    TpmEvidenceBundle evidence = response.evidence();
    byte[] sentName = evidence.ak().name().orElse(new byte[0]);
    if (!Crypto.constantTimeEquals(sentName, host.akName())) {
      throw new VerificationException(
          Failure.KEY_MISMATCH,
          "the answer carries AK "
              + (sentName.length == 0 ? "without a TPM name" : Hex.encode(sentName))
              + ", the host enrolled "
              + Hex.encode(host.akName()));
    }
    if (evidence.quotes().isEmpty()) {
      throw new VerificationException(Failure.MALFORMED, "the answer carries no quote");
    }
    if (plan.eventLog() && evidence.eventLog().isEmpty()) {
      throw new VerificationException(
          Failure.EVENT_LOG_MISMATCH, "the agent sent no firmware event log");
    }
    if (plan.ima()) {
      long asked = imaFrom.map(ImaCheckpoint::entries).orElse(0L);
      if (response.imaOffset() != asked) {
        throw new VerificationException(
            Failure.MALFORMED,
            "asked for the IMA list from entry "
                + asked
                + ", the agent sent it from "
                + response.imaOffset());
      }
      // after a checkpoint an agent whose list did not grow sends no entries
      if (imaFrom.isEmpty() && evidence.imaLog().isEmpty() && evidence.imaLogAscii().isEmpty()) {
        throw new VerificationException(Failure.EVENT_LOG_MISMATCH, "the agent sent no IMA list");
      }
    }
    Claims claims =
        TpmEvidenceVerifier.forEnrolledAk(host.ak())
            .verify(evidence, new Expectations(Optional.of(nonce), clock.instant()), imaFrom)
            .claims();
    for (Map.Entry<HashAlg, SortedSet<Integer>> e : plan.pcrs().entrySet()) {
      for (int i : e.getValue()) {
        if (claims.get(TpmClaims.PCR_PREFIX + e.getKey().shortName() + "." + i) == null) {
          throw new VerificationException(
              Failure.PCR_VALUES_MISSING,
              "the quotes do not cover " + e.getKey().shortName() + " PCR " + i);
        }
      }
    }
    Optional<TcgEventLog> verifiedLog = Optional.empty();
    if (plan.eventLog()) {
      if (!Boolean.TRUE.equals(claims.get(TpmClaims.EVENTLOG_VERIFIED))) {
        throw new VerificationException(
            Failure.EVENT_LOG_MISMATCH, "the firmware event log was not verified");
      }
      // the verifier replayed these very bytes against the quote; parsed again for the events
      verifiedLog = Optional.of(TcgEventLog.parse(evidence.eventLog().orElseThrow()));
    }
    if (plan.ima() && !Boolean.TRUE.equals(claims.get(TpmClaims.IMA_VERIFIED))) {
      throw new VerificationException(Failure.EVENT_LOG_MISMATCH, "the IMA list was not verified");
    }
    Optional<List<SoftwareMeasurement>> software = Optional.empty();
    if (plan.software()) {
      software = Optional.of(verifiedSoftware(response, claims));
    }
    return new HostAttestation(
        host.hostId(),
        clock.instant(),
        claims,
        verifiedLog,
        response.host(),
        plan.ima() ? evidence.imaLog() : Optional.empty(),
        Optional.empty(),
        hardwareId(response.host(), host),
        software);
  }

  /**
   * The agent's software measurements, once they replay to the quoted SHA-256 PCR 15: only then
   * does a file's digest say what was extended.
   */
  private static List<SoftwareMeasurement> verifiedSoftware(QuoteResponse response, Claims claims)
      throws VerificationException {
    List<SoftwareMeasurement> log =
        response
            .software()
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.EVENT_LOG_MISMATCH, "the agent sent no software measurements"));
    Object quoted =
        claims.get(
            TpmClaims.PCR_PREFIX + HashAlg.SHA256.shortName() + "." + SoftwareMeasurement.PCR);
    byte[] replayed = SoftwareMeasurement.replay(log);
    if (quoted == null || !Hex.encode(replayed).equalsIgnoreCase(String.valueOf(quoted))) {
      throw new VerificationException(
          Failure.EVENT_LOG_MISMATCH,
          "the "
              + log.size()
              + " software measurements replay to "
              + Hex.encode(replayed)
              + ", the quoted sha256 PCR 15 is "
              + quoted);
    }
    return log;
  }

  /**
   * The SMBIOS UUID the agent reports (unsigned: it only selects HOST_UNIQUE flavors, whose PCR
   * values must still match the quote), else the EK certificate's identity, which enrollment bound
   * to the AK that signed the quote.
   */
  static String hardwareId(dev.vouch.evidence.tpm.protocol.HostInfo reported, EnrolledHost host) {
    try {
      java.util.UUID u = java.util.UUID.fromString(reported.hardwareUuid());
      if (u.toString().equalsIgnoreCase(reported.hardwareUuid())) {
        return u.toString();
      }
    } catch (IllegalArgumentException e) {
      // not a UUID: fall back to the TPM's identity
    }
    return "ek-sha256:" + host.ekCertificateSha256();
  }
}
