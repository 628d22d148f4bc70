package dev.vouch.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.agent.tpm.PersistentKey;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.tpm.TpmQuoteVerifier;
import dev.vouch.evidence.tpm.protocol.AgentProblem;
import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import dev.vouch.evidence.tpm.protocol.QuoteResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's TPM connection drops (swtpm killed) and comes back (swtpm restarted from the same
 * state folder on the same port): meanwhile quote requests are answered 503 TPM_UNAVAILABLE, and
 * afterwards the same agent, with the same TPM client, quotes again with its persistent AK.
 */
class TpmReconnectTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Swtpm swtpm;
  private TpmClient tpm;
  private Path dir;

  @BeforeEach
  void start() throws Exception {
    swtpm = Swtpm.start();
    tpm = swtpm.client();
    dir = Files.createTempDirectory("vouch-reconnect-");
  }

  @AfterEach
  void stop() throws Exception {
    tpm.close();
    swtpm.close();
    Swtpm.deleteTree(dir);
  }

  private static byte[] request(byte[] nonce) {
    return new QuoteRequest(
            nonce,
            Map.of(HashAlg.SHA256, new TreeSet<>(List.of(0, 7))),
            false,
            OptionalLong.empty())
        .toJson();
  }

  @Test
  void quotesFailAsTpmUnavailableWhileSwtpmIsDownAndWorkAgainOnceItIsBack() throws Exception {
    Enrollment enrollment = Enrollment.withDefaults(tpm);
    enrollment.prepare();
    PersistentKey ak = enrollment.ak();
    QuoteService service =
        new QuoteService(
            new TrustAgent(
                new TrustAgentConfig("node-1", dir.resolve("none"), dir.resolve("none"), dir),
                tpm,
                ak));
    SecureRandom random = new SecureRandom();
    assertVerifiedQuote(service, random);

    swtpm.crash();
    for (int i = 0; i < 3; i++) {
      QuoteService.Reply down = service.handle(request(new byte[32]));
      assertThat(down.problem()).isTrue();
      assertThat(down.status()).isEqualTo(503);
      JsonNode p = JSON.readTree(down.body());
      assertThat(p.path("code").asText()).isEqualTo(AgentProblem.TPM_UNAVAILABLE);
    }

    swtpm.restart();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    QuoteService.Reply last = null;
    while (System.nanoTime() < deadline) {
      last = service.handle(request(new byte[32]));
      if (!last.problem()) {
        break;
      }
      assertThat(JSON.readTree(last.body()).path("code").asText())
          .isEqualTo(AgentProblem.TPM_UNAVAILABLE);
      Thread.sleep(50);
    }
    assertThat(last.problem()).as(new String(last.body())).isFalse();
    assertVerifiedQuote(service, random);
  }

  private static void assertVerifiedQuote(QuoteService service, SecureRandom random)
      throws Exception {
    byte[] nonce = new byte[32];
    random.nextBytes(nonce);
    QuoteService.Reply r = service.handle(request(nonce));
    assertThat(r.status()).as(new String(r.body())).isEqualTo(200);
    QuoteResponse q = QuoteResponse.parse(r.body());
    assertThat(TpmQuoteVerifier.verify(q.evidence(), Expectations.withNonce(nonce))).hasSize(1);
  }
}
