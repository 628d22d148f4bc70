package dev.vouch.evidence.cima;

import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.runtime.RuntimeAppraiser;
import dev.vouch.evidence.runtime.RuntimePolicy;
import dev.vouch.evidence.tpm.TpmClaims;
import dev.vouch.evidence.tpm.TpmEvidenceVerifier;
import dev.vouch.evidence.tpm.ima.ImaLog;
import java.util.Arrays;
import java.util.Optional;

/**
 * Verifies {@link ContainerEvidence}, in this order, each step with its own failure:
 *
 * <ol>
 *   <li>the TPM bundle (quote signature, PCR digest, AK trust) by the TPM verifier, without its
 *       nonce check: the qualifying data is the binding, checked last;
 *   <li>every event, redacted or not, replays to the quoted PCR 10 in the template hash's bank
 *       ({@link Failure#PCR_VALUES_MISSING} when not quoted, {@link Failure#EVENT_LOG_MISMATCH}
 *       when it differs: an event removed, added, altered or reordered);
 *   <li>each event shown in full hashes to its template hash ({@link
 *       Failure#TEMPLATE_HASH_MISMATCH});
 *   <li>an isolated log shows in full only what its subject may see ({@link
 *       Failure#CONTAINER_MISMATCH} names the first foreign entry);
 *   <li>the subject's register, replayed from the baseline and its own entries, bound with the
 *       evidence's nonce, is the quote's qualifying data ({@link Failure#REPORT_DATA_MISMATCH});
 *       the nonce is the expected one ({@link Failure#NONCE_MISMATCH}) when one is expected;
 *   <li>with a runtime policy, the subject's own entries pass {@link RuntimeAppraiser} ({@link
 *       Failure#POLICY_DENIED} names the first failing entry, path and rule).
 * </ol>
 *
 * Claims: the TPM's, plus {@code container.pod}, {@code container.id}, {@code container.register},
 * {@code container.hash_algorithm}, {@code container.events}, {@code container.isolated}, {@code
 * container.nonce}, {@code container.appraised}. Immutable and thread-safe.
 */
public final class ContainerEvidenceVerifier implements EvidenceVerifier {
  private final TpmEvidenceVerifier tpm;
  private final Optional<RuntimePolicy> runtimePolicy;

  /** Trusts the AK the evidence supplies (AK trust left to policy), no runtime policy. */
  public ContainerEvidenceVerifier() {
    this(TpmEvidenceVerifier.trustingSuppliedAk(), Optional.empty());
  }

  /**
   * @param tpm verifies the quote bundle (decides AK trust)
   * @param runtimePolicy appraises the subject's own entries when present
   */
  public ContainerEvidenceVerifier(TpmEvidenceVerifier tpm, Optional<RuntimePolicy> runtimePolicy) {
    this.tpm = tpm;
    this.runtimePolicy = runtimePolicy;
  }

  /** The same verifier, appraising the subject's own entries against {@code policy}. */
  public ContainerEvidenceVerifier withRuntimePolicy(RuntimePolicy policy) {
    return new ContainerEvidenceVerifier(tpm, Optional.of(policy));
  }

  @Override
  public Tee tee() {
    return Tee.CONTAINER;
  }

  /** The nonce a relying party binds: 32 bytes, as for a TPM quote. */
  @Override
  public int reportDataLength() {
    return 32;
  }

  @Override
  public VerifiedEvidence verify(byte[] evidence, Expectations expected)
      throws VerificationException {
    return verify(ContainerEvidence.parse(evidence), expected);
  }

  /** Verifies parsed evidence. */
  public VerifiedEvidence verify(ContainerEvidence ev, Expectations expected)
      throws VerificationException {
    if (ev.tpm().imaLog().isPresent()) {
      throw new VerificationException(
          Failure.MALFORMED, "container evidence carries its IMA entries in the event log only");
    }
    Claims tpmClaims =
        tpm.verify(
                ev.tpm(), new Expectations(Optional.empty(), expected.at(), expected.collateral()))
            .claims();
    ContainerEventLog log = ev.eventLog();
    String bank = log.hashAlgorithm().shortName();
    Object quoted = tpmClaims.get(TpmClaims.PCR_PREFIX + bank + "." + ImaLog.IMA_PCR);
    if (!(quoted instanceof String q)) {
      throw new VerificationException(
          Failure.PCR_VALUES_MISSING,
          "the quote does not cover PCR 10 in the " + bank + " bank the events are hashed with");
    }
    byte[] replayed = log.replayPcr(ImaLog.IMA_PCR);
    if (!Crypto.constantTimeEquals(replayed, Hex.decode(q))) {
      throw new VerificationException(
          Failure.EVENT_LOG_MISMATCH,
          "the "
              + log.events().size()
              + " events replay PCR 10 to "
              + Hex.encode(replayed)
              + " but the quote holds "
              + q);
    }
    ContainerEventLog.Visible visible = log.visible();
    if (!visible.log().templateHashMismatches().isEmpty()) {
      int i = visible.log().templateHashMismatches().get(0) - 1;
      throw new VerificationException(
          Failure.TEMPLATE_HASH_MISMATCH,
          "event "
              + visible.recNums().get(i)
              + ": the template hash is not the hash of its template data");
    }
    if (log.isolated()) {
      for (int i = 0; i < visible.log().size(); i++) {
        CgroupOwner owner = visible.owners().entryOwners().get(i);
        if (!log.subject().sees(owner)) {
          throw new VerificationException(
              Failure.CONTAINER_MISMATCH,
              "event "
                  + visible.recNums().get(i)
                  + " belongs to "
                  + owner
                  + ", which "
                  + log.subject()
                  + " may not see");
        }
      }
    }
    byte[] register = log.register();
    byte[] extraData = Hex.decode((String) tpmClaims.get(TpmClaims.EXTRA_DATA));
    if (!Crypto.constantTimeEquals(extraData, ContainerEvidence.binding(register, ev.nonce()))) {
      throw new VerificationException(
          Failure.REPORT_DATA_MISMATCH,
          "the quote's qualifying data is not SHA-256(register || nonce) for the "
              + log.subject()
              + " register the events replay to");
    }
    if (expected.nonce().isPresent() && !Arrays.equals(expected.nonce().get(), ev.nonce())) {
      throw new VerificationException(
          Failure.NONCE_MISMATCH, "the evidence is bound to another nonce than the one expected");
    }
    boolean appraised = false;
    if (runtimePolicy.isPresent()) {
      RuntimeAppraiser.Appraisal a =
          RuntimeAppraiser.appraise(log.ownedLog(visible), runtimePolicy.get());
      if (!a.passed()) {
        RuntimeAppraiser.Finding f = a.failures().get(0);
        throw new VerificationException(
            Failure.POLICY_DENIED,
            a.failures().size()
                + " of the subject's entries fail the runtime policy; first: its entry "
                + f.entry()
                + " "
                + f.path()
                + " "
                + f.digest()
                + ": "
                + f.rule());
      }
      appraised = true;
    }
    Claims.Builder claims = Claims.builder().putAll(tpmClaims);
    log.subject().pod().ifPresent(p -> claims.put("container.pod", p));
    log.subject().container().ifPresent(c -> claims.put("container.id", c));
    claims.put("container.register", Hex.encode(register));
    claims.put("container.hash_algorithm", bank);
    claims.put("container.events", visible.owned().size());
    claims.put("container.isolated", log.isolated());
    claims.put("container.nonce", Hex.encode(ev.nonce()));
    claims.put("container.appraised", appraised);
    return new VerifiedEvidence(Tee.CONTAINER, claims.build());
  }
}
