package dev.vouch.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.agent.kbs.EvidenceProvider;
import dev.vouch.agent.sim.SimulatedHost;
import dev.vouch.agent.sim.SimulatedTpm;
import dev.vouch.bench.ImaListGenerator;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrSelection;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.ima.ImaEntry;
import dev.vouch.evidence.tpm.ima.ImaLog;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Simulated TPM guests for the KBS workload: real TPMS_ATTEST quotes over SHA-256 PCRs 0-7 (all
 * zero, no event log) signed by software ECDSA P-256 AKs, in the Vouch TPM evidence bundle. A
 * simulated TPM signs one quote at a time, so several serve the load in turn. The server learns the
 * AKs and the PCR values as reference values ({@link #referenceValues}).
 */
final class TpmFleet implements EvidenceProvider {
  // the firmware PCRs and IMA's: the firmware log also records events for registers 8-9 and 14 that
  // a
  // simulated TPM never extends, so quoting those would (rightly) fail the replay
  private static final int[] QUOTED_PCRS = {0, 1, 2, 3, 4, 5, 6, 7, ImaLog.IMA_PCR};

  /** IMA entries per host: a small list, so the figures stay about the handshake, not IMA. */
  static final int IMA_ENTRIES = 200;

  private final List<SimulatedTpm> tpms = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();

  private final byte[] eventLog;
  private final byte[] imaList;

  TpmFleet(int size, SecureRandom random) {
    if (size < 1) {
      throw new IllegalArgumentException("at least one simulated TPM");
    }
    SimulatedHost.FirmwareLog log = SimulatedHost.FirmwareLog.keylimeSecureBoot();
    eventLog = log.bytes();
    imaList = ImaListGenerator.generate(IMA_ENTRIES, 19, false).binary();
    List<byte[]> imaExtends = new ArrayList<>();
    try {
      for (ImaEntry e : ImaLog.parse(imaList).entries()) {
        if (e.violation()) {
          throw new IllegalStateException("the generated IMA list has a violation");
        }
        // what a kernel since 5.1 extends into the SHA-256 bank
        imaExtends.add(HashAlg.SHA256.digest(e.hashedBytes()));
      }
    } catch (VerificationException e) {
      throw new IllegalStateException("the generated IMA list does not parse", e);
    }
    for (int i = 0; i < size; i++) {
      SimulatedTpm tpm = new SimulatedTpm(random);
      for (SimulatedHost.Measurement m : log.measurements()) {
        tpm.extend(m.pcr(), m.digest());
      }
      for (byte[] d : imaExtends) {
        tpm.extend(ImaLog.IMA_PCR, d);
      }
      tpms.add(tpm);
    }
  }

  @Override
  public String tee() {
    return "tpm";
  }

  @Override
  public JsonNode evidence(byte[] digest) {
    return quote(Arrays.copyOf(digest, 32)).toJsonNode();
  }

  /** A fresh quote with {@code extraData} as its qualifying data, from the next TPM in turn. */
  TpmEvidenceBundle quote(byte[] extraData) {
    SimulatedTpm tpm = tpms.get(Math.floorMod(next.getAndIncrement(), tpms.size()));
    SimulatedTpm.Quote q = tpm.quote(extraData, PcrSelection.of(HashAlg.SHA256, QUOTED_PCRS));
    return new TpmEvidenceBundle(
        tpm.akKey(),
        Optional.empty(),
        List.of(),
        List.of(new TpmEvidenceBundle.Quote(q.attest(), q.signature())),
        q.values(),
        Optional.of(eventLog),
        Optional.of(imaList),
        Optional.empty());
  }

  /**
   * The reference values that make these TPMs' quotes affirm under the default TPM policy: the AKs
   * by SPKI SHA-256 and the boot PCRs 0, 2, 4 and 7 the firmware log produced.
   */
  byte[] referenceValues() throws IOException {
    List<String> aks = new ArrayList<>();
    for (SimulatedTpm t : tpms) {
      aks.add(Hex.encode(HashAlg.SHA256.digest(t.akKey().publicKey().getEncoded())));
    }
    Map<String, Object> payload = new LinkedHashMap<>();
    payload.put("tpm.trusted_aks", aks);
    int[] boot = {0, 2, 4, 7};
    PcrValues values = tpms.get(0).read(PcrSelection.of(HashAlg.SHA256, boot));
    for (int pcr : boot) {
      payload.put(
          "tpm.pcr.sha256." + pcr,
          List.of(Hex.encode(values.get(HashAlg.SHA256, pcr).orElseThrow())));
    }
    return new ObjectMapper()
        .writeValueAsBytes(Map.of("version", "0.1.0", "type", "sample", "payload", payload));
  }
}
