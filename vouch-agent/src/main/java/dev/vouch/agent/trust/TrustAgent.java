package dev.vouch.agent.trust;

import dev.vouch.agent.tpm.Attestation;
import dev.vouch.agent.tpm.ClockInfo;
import dev.vouch.agent.tpm.KeyHandle;
import dev.vouch.agent.tpm.PcrSelection;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.tpm.TpmException;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.protocol.AgentAnnouncement;
import dev.vouch.evidence.tpm.protocol.HostInfo;
import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import dev.vouch.evidence.tpm.protocol.QuoteResponse;
import dev.vouch.evidence.tpm.protocol.SoftwareMeasurement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.logging.Logger;

/**
 * Answers quote requests with this host's TPM: quotes the asked PCRs with the enrolled attestation
 * key over the verifier's nonce, and adds the PCR values, the firmware event log, IMA entries and
 * host facts as asked. Transports ({@link HttpsAgentServer}, {@link NatsAgentService}) call {@link
 * #quote}; one TPM command runs at a time, so calls are serialized.
 */
public final class TrustAgent {
  private static final Logger LOG = Logger.getLogger(TrustAgent.class.getName());

  /** Attempts to read PCRs that do not move while the quote is taken (IMA extends PCR 10). */
  private static final int STABLE_READ_ATTEMPTS = 5;

  private final TrustAgentConfig config;
  private final TpmClient tpm;
  private final KeyHandle ak;
  private HostInfo hostInfo;

  /**
   * @param config host id and log locations
   * @param tpm the client for this host's TPM; the agent uses it exclusively from now on
   * @param ak the enrolled attestation key (normally persistent, see {@link Enrollment})
   */
  public TrustAgent(TrustAgentConfig config, TpmClient tpm, KeyHandle ak) {
    this.config = config;
    this.tpm = tpm;
    this.ak = ak;
  }

  public String hostId() {
    return config.hostId();
  }

  /**
   * Takes a quote as {@code request} asks.
   *
   * @throws TpmException when the TPM fails (e.g. a bank the TPM does not have)
   * @throws IOException when an asked-for log exists but cannot be read
   * @throws VerificationException when the IMA list on this host cannot be framed
   */
  public synchronized QuoteResponse quote(QuoteRequest request)
      throws TpmException, IOException, VerificationException {
    List<PcrSelection> selection = new ArrayList<>();
    for (Map.Entry<HashAlg, SortedSet<Integer>> e : request.pcrs().entrySet()) {
      selection.add(new PcrSelection(e.getKey(), e.getValue()));
    }
    Attestation quote = null;
    PcrValues values = null;
    // the values sent must be the ones quoted: read, quote, read again until nothing moved; if
    // the registers keep moving the last values go out and the verifier reports the mismatch
    for (int attempt = 0; attempt < STABLE_READ_ATTEMPTS; attempt++) {
      PcrValues before = tpm.pcrRead(selection);
      quote = tpm.quote(ak, request.nonce(), selection);
      values = tpm.pcrRead(selection);
      if (before.equals(values)) {
        break;
      }
    }
    Optional<byte[]> eventLog =
        request.includeEventLog() ? readIfPresent(config.eventLog()) : Optional.empty();
    Optional<byte[]> ima = Optional.empty();
    long imaOffset = 0;
    if (request.imaOffset().isPresent()) {
      // read after the quote: the list then holds at least every entry the quote covers
      Optional<byte[]> list = readIfPresent(config.imaLog());
      if (list.isPresent()) {
        ImaSlice slice = ImaSlice.of(list.get(), request.imaOffset().getAsLong());
        imaOffset = slice.offset();
        ima = slice.bytes().length > 0 ? Optional.of(slice.bytes()) : Optional.empty();
      }
    }
    TpmEvidenceBundle bundle =
        new TpmEvidenceBundle(
            AkKeys.parse(ak.publicArea()),
            Optional.empty(),
            List.of(),
            List.of(new TpmEvidenceBundle.Quote(quote.attest(), quote.signature())),
            values,
            eventLog,
            ima,
            Optional.empty());
    // the log changes only in measureSoftware, which this lock keeps out during the quote
    Optional<List<SoftwareMeasurement>> software =
        request.includeSoftware()
            ? Optional.of(SoftwareMeasurer.read(config.softwareLog()))
            : Optional.empty();
    LOG.fine(() -> "host " + config.hostId() + ": quoted " + request.pcrs());
    return new QuoteResponse(config.hostId(), bundle, hostInfo(), imaOffset, software);
  }

  /**
   * Measures the configured software manifest into PCR 15 (see {@link SoftwareMeasurer}); does
   * nothing without one. Agents call it once at start, before they answer quotes.
   *
   * @return how many files were measured now
   */
  public synchronized int measureSoftware() throws IOException, TpmException {
    if (config.softwareManifest().isEmpty()) {
      return 0;
    }
    int added =
        SoftwareMeasurer.measure(tpm, config.softwareManifest().get(), config.softwareLog()).size();
    LOG.info(() -> "host " + config.hostId() + ": measured " + added + " files into PCR 15");
    return added;
  }

  /** The announcement to publish at start: host id and the TPM's reset and restart counters. */
  public synchronized AgentAnnouncement announcement() throws TpmException {
    ClockInfo clock = tpm.readClock();
    return new AgentAnnouncement(config.hostId(), clock.resetCount(), clock.restartCount());
  }

  private HostInfo hostInfo() throws TpmException {
    if (hostInfo == null) {
      hostInfo = HostFacts.collect(config.hostRoot(), tpm);
    }
    return hostInfo;
  }

  private static Optional<byte[]> readIfPresent(Path file) throws IOException {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    return Optional.of(Files.readAllBytes(file));
  }
}
