package dev.vouch.server.hosts;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.tpm.AkKey;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmAttest;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.TpmQuoteVerifier;
import dev.vouch.evidence.tpm.VerifiedQuote;
import dev.vouch.evidence.tpm.eventlog.SecureBootState;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.evidence.tpm.ima.ImaLog;
import dev.vouch.evidence.tpm.ima.ImaReplayMode;
import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import dev.vouch.evidence.tpm.protocol.QuoteResponse;
import dev.vouch.server.registrar.EnrolledHost;
import dev.vouch.server.registrar.EnrollmentError;
import dev.vouch.server.registrar.EnrollmentException;
import dev.vouch.server.registrar.EnrollmentStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Attests enrolled hosts: sends a fresh nonce to the host's agent and accepts the answer only when
 *
 * <ol>
 *   <li>it names the host asked ({@link Failure#KEY_MISMATCH} otherwise) and carries the host's
 *       enrolled AK, not another key ({@link Failure#KEY_MISMATCH});
 *   <li>every quote verifies with the enrolled AK ({@link Failure#SIGNATURE_INVALID}), echoes this
 *       attestation's nonce ({@link Failure#NONCE_MISMATCH}) and its PCR digest matches the values
 *       sent ({@link Failure#PCR_DIGEST_MISMATCH}), see {@link TpmQuoteVerifier};
 *   <li>the quotes cover every register asked for ({@link Failure#PCR_VALUES_MISSING});
 *   <li>when the plan asks for the event log: the log replays to the quoted value of every quoted
 *       register it extends ({@link Failure#EVENT_LOG_MISMATCH}, also when no log came);
 *   <li>when the plan asks for IMA: the list's template hashes hold ({@link
 *       Failure#TEMPLATE_HASH_MISMATCH}) and a prefix of it replays to the quoted PCR 10 ({@link
 *       Failure#EVENT_LOG_MISMATCH}).
 * </ol>
 *
 * The quote's reset counter is compared with the last accepted one for the host to report reboots
 * (kept in memory until attestation results are persisted). Thread-safe.
 */
public final class HostAttestor {
  private static final Logger LOG = Logger.getLogger(HostAttestor.class.getName());
  private static final int NONCE_SIZE = 32;

  private final EnrollmentStore hosts;
  private final AgentChannel channel;
  private final QuotePlan plan;
  private final Clock clock;
  private final SecureRandom random;
  private final ConcurrentHashMap<String, Long> lastResetCount = new ConcurrentHashMap<>();

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
    EnrolledHost host =
        hosts
            .host(hostId)
            .orElseThrow(
                () ->
                    new EnrollmentException(
                        EnrollmentError.HOST_NOT_ENROLLED, "host " + hostId + " is not enrolled"));
    byte[] nonce = new byte[NONCE_SIZE];
    random.nextBytes(nonce);
    QuoteRequest request =
        new QuoteRequest(
            nonce,
            plan.pcrs(),
            plan.eventLog(),
            plan.ima() ? OptionalLong.of(0) : OptionalLong.empty());
    QuoteResponse response = channel.quote(hostId, request);
    try {
      HostAttestation result = verify(host, nonce, response);
      LOG.info(
          () ->
              "host "
                  + hostId
                  + ": attestation passed (reset count "
                  + result.clock().resetCount()
                  + (result.rebooted() ? ", rebooted" : "")
                  + ")");
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
    if (!response.hostId().equals(host.hostId())) {
      throw new VerificationException(
          Failure.KEY_MISMATCH,
          "asked host " + host.hostId() + ", the answer is from " + response.hostId());
    }
    TpmEvidenceBundle evidence = response.evidence();
    AkKey enrolled = host.ak();
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
    Expectations expected = new Expectations(Optional.of(nonce), clock.instant());
    PcrValues.Builder quoted = PcrValues.builder();
    TpmAttest.ClockInfo clockInfo = null;
    for (TpmEvidenceBundle.Quote q : evidence.quotes()) {
      // the enrolled key, never the bundle's own
      VerifiedQuote v =
          TpmQuoteVerifier.verify(q.attest(), q.signature(), enrolled, evidence.pcrs(), expected);
      for (HashAlg bank : v.pcrs().banks()) {
        for (int i : v.pcrs().indexes(bank)) {
          quoted.put(bank, i, v.pcrs().get(bank, i).orElseThrow());
        }
      }
      clockInfo = v.clockInfo();
    }
    PcrValues pcrs = quoted.build();
    for (Map.Entry<HashAlg, SortedSet<Integer>> e : plan.pcrs().entrySet()) {
      for (int i : e.getValue()) {
        if (pcrs.get(e.getKey(), i).isEmpty()) {
          throw new VerificationException(
              Failure.PCR_VALUES_MISSING,
              "the quotes do not cover " + e.getKey().shortName() + " PCR " + i);
        }
      }
    }
    Optional<SecureBootState> secureBoot = Optional.empty();
    Optional<TcgEventLog> verifiedLog = Optional.empty();
    if (plan.eventLog()) {
      byte[] log =
          evidence
              .eventLog()
              .orElseThrow(
                  () ->
                      new VerificationException(
                          Failure.EVENT_LOG_MISMATCH, "the agent sent no firmware event log"));
      TcgEventLog parsed = TcgEventLog.parse(log).verifyDigests(); // data is what was measured
      requireLogMatches(parsed.replay(), pcrs);
      secureBoot = Optional.of(parsed.secureBoot());
      verifiedLog = Optional.of(parsed);
    }
    OptionalInt imaEntries = OptionalInt.empty();
    if (plan.ima()) {
      imaEntries = OptionalInt.of(requireImaMatches(response, pcrs));
    }
    Long previous = lastResetCount.put(host.hostId(), clockInfo.resetCount());
    boolean rebooted = previous != null && previous != clockInfo.resetCount();
    return new HostAttestation(
        host.hostId(),
        clock.instant(),
        pcrs,
        clockInfo,
        rebooted,
        plan.eventLog(),
        verifiedLog,
        secureBoot,
        response.host(),
        imaEntries,
        evidence.imaLog());
  }

  /**
   * The IMA list from entry 0 must replay (per-bank, kernels since 5.1) to the quoted PCR 10 in
   * every quoted bank; returns how many entries the quote covers (the list may have grown since).
   */
  private static int requireImaMatches(QuoteResponse response, PcrValues quoted)
      throws VerificationException {
    if (response.imaOffset() != 0) {
      throw new VerificationException(
          Failure.MALFORMED,
          "asked for the IMA list from entry 0, the agent sent it from " + response.imaOffset());
    }
    ImaLog ima = ImaLog.parseBinary(response.evidence().imaLog().orElse(new byte[0]));
    int covered = Integer.MAX_VALUE;
    for (HashAlg bank : quoted.banks()) {
      Optional<byte[]> pcr10 = quoted.get(bank, ImaLog.IMA_PCR);
      if (pcr10.isPresent()) {
        covered =
            Math.min(
                covered,
                ima.requireQuotedPrefix(bank, ImaLog.IMA_PCR, pcr10.get(), ImaReplayMode.PER_BANK));
      }
    }
    return covered;
  }

  /** Every quoted register the log extends must hold the log's replayed value. */
  private static void requireLogMatches(PcrValues replayed, PcrValues quoted)
      throws VerificationException {
    int compared = 0;
    for (HashAlg bank : replayed.banks()) {
      if (!quoted.banks().contains(bank)) {
        continue;
      }
      for (int i : replayed.indexes(bank)) {
        Optional<byte[]> q = quoted.get(bank, i);
        if (q.isEmpty()) {
          continue;
        }
        byte[] r = replayed.get(bank, i).orElseThrow();
        if (!Crypto.constantTimeEquals(r, q.get())) {
          throw new VerificationException(
              Failure.EVENT_LOG_MISMATCH,
              "event log replays "
                  + bank.shortName()
                  + " PCR "
                  + i
                  + " to "
                  + Hex.encode(r)
                  + ", the TPM quoted "
                  + Hex.encode(q.get()));
        }
        compared++;
      }
    }
    if (compared == 0) {
      throw new VerificationException(
          Failure.EVENT_LOG_MISMATCH, "the event log extends none of the quoted banks' registers");
    }
  }

  /** When the host was last seen, for reboot detection: the last accepted reset count. */
  public Optional<Long> lastResetCount(String hostId) {
    return Optional.ofNullable(lastResetCount.get(hostId));
  }
}
