package dev.vouch.bench.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.bytes.Hex;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

/**
 * {@code POST /api/v1/attest} with TPM evidence: per request a fresh random nonce and a new quote
 * over it from a simulated TPM, with its firmware event log (quote verification, event-log replay,
 * default TPM policy over reference values, an ES256 EAR token). An answer counts only when it is
 * 200 and affirming.
 */
public final class AttestWorkload implements Workload {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final TpmFleet tpms;
  private final SecureRandom random;

  public AttestWorkload(int simulatedTpms, SecureRandom random) {
    this.tpms = new TpmFleet(simulatedTpms, random);
    this.random = random;
  }

  @Override
  public String name() {
    return "attest";
  }

  @Override
  public void prepare(Target target) throws Exception {
    target.admin("POST", "/api/v1/reference-values", "application/json", tpms.referenceValues());
  }

  @Override
  public Operation operation(Target target) {
    return () -> {
      byte[] nonce = new byte[32];
      random.nextBytes(nonce);
      String body =
          JSON.writeValueAsString(
              Map.of(
                  "tee", "tpm",
                  "evidence", Base64.getEncoder().encodeToString(tpms.quote(nonce).toJson()),
                  "nonce", Hex.encode(nonce)));
      HttpResponse<String> r =
          target
              .http()
              .send(
                  HttpRequest.newBuilder(target.base().resolve("/api/v1/attest"))
                      .header("Content-Type", "application/json")
                      .timeout(Duration.ofSeconds(30))
                      .POST(HttpRequest.BodyPublishers.ofString(body))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw Operation.http(r.statusCode(), r.body());
      }
      if (!r.body().contains("\"status\":\"affirming\"")) {
        throw new Operation.Failed("not-affirming", "attest did not affirm");
      }
    };
  }
}
