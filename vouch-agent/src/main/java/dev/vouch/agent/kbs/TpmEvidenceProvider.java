package dev.vouch.agent.kbs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.agent.tpm.Attestation;
import dev.vouch.agent.tpm.KeyHandle;
import dev.vouch.agent.tpm.PcrSelection;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.tpm.TpmException;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * TPM evidence for the KBS: a quote by the attestation key over the selected PCRs with {@code
 * extraData} = the first 32 bytes of the binding digest, the PCR values, and the firmware event log
 * when a path is given and readable, as a Vouch TPM evidence bundle. One TPM command at a time.
 */
public final class TpmEvidenceProvider implements EvidenceProvider {
  /** The quote's extraData carries this many leading bytes of the binding digest. */
  public static final int EXTRA_DATA_BYTES = 32;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int STABLE_READ_ATTEMPTS = 3;

  private final TpmClient tpm;
  private final KeyHandle ak;
  private final List<PcrSelection> pcrs;
  private final Optional<Path> eventLog;
  private final Optional<Path> imaLog;

  /**
   * @param ak the attestation key (restricted signing key) the verifier knows
   * @param pcrs the registers to quote
   * @param eventLog the TCG firmware event log to send along, if any
   */
  public TpmEvidenceProvider(
      TpmClient tpm, KeyHandle ak, List<PcrSelection> pcrs, Optional<Path> eventLog) {
    this(tpm, ak, pcrs, eventLog, Optional.empty());
  }

  /**
   * @param ak the attestation key (restricted signing key) the verifier knows
   * @param pcrs the registers to quote
   * @param eventLog the TCG firmware event log to send along, if any (skipped when unreadable)
   * @param imaLog the binary IMA list ({@code binary_runtime_measurements}) to send along, if any
   *     (skipped when unreadable); read after the quote, so it may hold entries the quote does not
   *     cover yet, which the verifier tolerates
   */
  public TpmEvidenceProvider(
      TpmClient tpm,
      KeyHandle ak,
      List<PcrSelection> pcrs,
      Optional<Path> eventLog,
      Optional<Path> imaLog) {
    this.tpm = tpm;
    this.ak = ak;
    this.pcrs = List.copyOf(pcrs);
    this.eventLog = eventLog;
    this.imaLog = imaLog;
  }

  /**
   * Quotes SHA-256 PCRs 0-23 and sends the firmware event log and the IMA list along, which the
   * default TPM policy needs (Secure Boot is read from the log; no log, no Secure Boot claim).
   */
  public static TpmEvidenceProvider measuredBoot(
      TpmClient tpm, KeyHandle ak, Optional<Path> eventLog, Optional<Path> imaLog) {
    return new TpmEvidenceProvider(
        tpm, ak, List.of(PcrSelection.range(HashAlg.SHA256, 0, 23)), eventLog, imaLog);
  }

  /** Quotes SHA-256 PCRs 0-23, without an event log. */
  public static TpmEvidenceProvider allSha256(TpmClient tpm, KeyHandle ak) {
    return new TpmEvidenceProvider(
        tpm, ak, List.of(PcrSelection.range(HashAlg.SHA256, 0, 23)), Optional.empty());
  }

  @Override
  public String tee() {
    return "tpm";
  }

  @Override
  public synchronized JsonNode evidence(byte[] bindingDigest) throws EvidenceException {
    byte[] extraData =
        Arrays.copyOf(bindingDigest, Math.min(EXTRA_DATA_BYTES, bindingDigest.length));
    try {
      Attestation quote = null;
      PcrValues values = null;
      // send the values that were quoted: read, quote, read again until nothing moved
      for (int i = 0; i < STABLE_READ_ATTEMPTS; i++) {
        PcrValues before = tpm.pcrRead(pcrs);
        quote = tpm.quote(ak, extraData, pcrs);
        values = tpm.pcrRead(pcrs);
        if (before.equals(values)) {
          break;
        }
      }
      Optional<byte[]> log = readIfReadable(eventLog);
      Optional<byte[]> ima = readIfReadable(imaLog);
      TpmEvidenceBundle bundle =
          new TpmEvidenceBundle(
              AkKeys.parse(ak.publicArea()),
              Optional.empty(),
              List.of(),
              List.of(new TpmEvidenceBundle.Quote(quote.attest(), quote.signature())),
              values,
              log,
              ima,
              Optional.empty());
      return JSON.readTree(bundle.toJson());
    } catch (TpmException e) {
      throw new EvidenceException("TPM quote failed: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new EvidenceException("cannot read the event log or IMA list: " + e.getMessage(), e);
    } catch (VerificationException e) {
      throw new EvidenceException("the TPM's attestation key is unusable: " + e.getMessage(), e);
    }
  }

  private static Optional<byte[]> readIfReadable(Optional<Path> file) throws IOException {
    if (file.isPresent() && Files.isReadable(file.get())) {
      return Optional.of(Files.readAllBytes(file.get()));
    }
    return Optional.empty();
  }
}
