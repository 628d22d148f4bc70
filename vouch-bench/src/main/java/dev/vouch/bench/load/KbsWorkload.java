package dev.vouch.bench.load;

import dev.vouch.agent.kbs.EvidenceProvider;
import dev.vouch.agent.kbs.KbsClient;
import dev.vouch.agent.kbs.KbsException;
import dev.vouch.cli.KbsAdminToken;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.time.Clock;

/**
 * Full KBS handshakes as a fresh guest does them: {@code /kbs/v0/auth}, {@code /kbs/v0/attest} with
 * TPM evidence (a new quote over the request's binding digest from a simulated TPM, a new EC P-256
 * TEE key), then {@code /kbs/v0/resource} answered as a JWE that is decrypted and compared with the
 * stored secret. {@link #prepare} registers the TPMs' AKs and PCRs as reference values and stores
 * the secret with a KBS admin JWT signed by {@code kbsAdminKey}.
 */
public final class KbsWorkload implements Workload {
  static final String REPOSITORY = "bench";
  static final String TYPE = "load";
  static final String TAG = "secret";

  private final TpmFleet tpms;
  private final PrivateKey kbsAdminKey;
  private final byte[] secret = new byte[32];

  /**
   * @param simulatedTpms how many simulated TPMs sign the quotes in turn (client-side parallelism)
   */
  public KbsWorkload(PrivateKey kbsAdminKey, int simulatedTpms, SecureRandom random) {
    this.kbsAdminKey = kbsAdminKey;
    this.tpms = new TpmFleet(simulatedTpms, random);
    random.nextBytes(secret);
  }

  @Override
  public String name() {
    return "kbs";
  }

  @Override
  public void prepare(Target target) throws Exception {
    target.admin("POST", "/api/v1/reference-values", "application/json", tpms.referenceValues());
    target.admin(
        "POST",
        "/kbs/v0/resource/" + REPOSITORY + "/" + TYPE + "/" + TAG,
        "application/octet-stream",
        secret,
        KbsAdminToken.mint(kbsAdminKey, Clock.systemUTC()));
  }

  @Override
  public Operation operation(Target target) {
    EvidenceProvider evidence = tpms;
    return () -> {
      byte[] got;
      try {
        got =
            new KbsClient(
                    target.base(),
                    evidence,
                    target.http(),
                    Clock.systemUTC(),
                    KbsClient.KeyKind.EC_P256)
                .getResource(REPOSITORY, TYPE, TAG);
      } catch (KbsException e) {
        String kind =
            e.status() == 0
                ? "no-answer"
                : "http-" + e.status() + (e.kind().isEmpty() ? "" : "-" + e.kind());
        throw new Operation.Failed(kind, e.getMessage());
      }
      if (!MessageDigest.isEqual(got, secret)) {
        throw new Operation.Failed("wrong-secret", "the released resource is not the stored one");
      }
    };
  }
}
