package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import dev.vouch.server.http.ClientRateLimiter;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The KBS's limits on its handshake: per-client rates on {@code /auth}, {@code /attest} and
 * resource reads, and the global bound on live unattested sessions, each refused with 429,
 * Trustee's error document (kind {@code TooManyRequests}) and {@code Retry-After}.
 */
class KbsSessionLimitsTest {
  private static final ClientRateLimiter.Limit NONE = ClientRateLimiter.Limit.unlimited();
  // two at once, then one per 100 s: a third request is refused however slow the machine is
  private static final ClientRateLimiter.Limit TWO = new ClientRateLimiter.Limit(0.01, 2);

  @Test
  void aClientBeyondItsAuthRateGets429WithRetryAfter() throws Exception {
    try (KbsHarness kbs = harness(TWO, NONE, 1000)) {
      assertThat(new DocClient(kbs.url()).auth("sample").statusCode()).isEqualTo(200);
      assertThat(new DocClient(kbs.url()).auth("sample").statusCode()).isEqualTo(200);
      HttpResponse<String> r = new DocClient(kbs.url()).auth("sample");
      assertTooMany(r);
      long retry = Long.parseLong(r.headers().firstValue("retry-after").orElseThrow());
      assertThat(retry).isBetween(1L, 100L);
      assertThat(kbs.sessions.size()).as("a refused /auth opens no session").isEqualTo(2);
    }
  }

  @Test
  void aClientBeyondItsAttestRateGets429AndKeepsItsNonce() throws Exception {
    try (KbsHarness kbs = harness(NONE, TWO, 1000)) {
      for (int i = 0; i < 2; i++) {
        DocClient c = new DocClient(kbs.url());
        c.auth("sample");
        assertThat(c.attest(DocClient.ecKey(Curve.P_256)).statusCode()).isEqualTo(200);
      }
      DocClient c = new DocClient(kbs.url());
      c.auth("sample");
      assertTooMany(c.attest(DocClient.ecKey(Curve.P_256)));
      // refused before the body is read: the session is still waiting for its one attest
      assertThat(kbs.sessions.countUnattested(kbs.clock.instant())).isEqualTo(1);
    }
  }

  @Test
  void resourceReadsHaveTheirOwnBucketAtTheAttestRate() throws Exception {
    try (KbsHarness kbs = harness(NONE, TWO, 1000)) {
      kbs.resources.put(new ResourcePath("default", "key", "one"), "s".getBytes());
      DocClient c = new DocClient(kbs.url());
      c.auth("sample");
      assertThat(c.attest(DocClient.ecKey(Curve.P_256)).statusCode()).isEqualTo(200);
      for (int i = 0; i < 2; i++) {
        assertThat(c.resource("default/key/one").statusCode()).isEqualTo(200);
      }
      HttpResponse<String> r = c.resource("default/key/one");
      assertTooMany(r);
      // the attest bucket is its own: one attest of the two is still left
      DocClient d = new DocClient(kbs.url());
      d.auth("sample");
      assertThat(d.attest(DocClient.ecKey(Curve.P_256)).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void authBeyondTheBoundOnUnattestedSessionsGets429UntilSessionsAttestOrExpire() throws Exception {
    try (KbsHarness kbs = harness(NONE, NONE, 3)) {
      DocClient first = new DocClient(kbs.url());
      assertThat(first.auth("sample").statusCode()).isEqualTo(200);
      assertThat(new DocClient(kbs.url()).auth("sample").statusCode()).isEqualTo(200);
      assertThat(new DocClient(kbs.url()).auth("sample").statusCode()).isEqualTo(200);
      HttpResponse<String> full = new DocClient(kbs.url()).auth("sample");
      assertTooMany(full);
      assertThat(full.headers().firstValue("retry-after")).contains("5");
      assertThat(kbs.sessions.size()).isEqualTo(3);

      // an attested session no longer counts against the bound
      assertThat(first.attest(DocClient.ecKey(Curve.P_256)).statusCode()).isEqualTo(200);
      assertThat(new DocClient(kbs.url()).auth("sample").statusCode()).isEqualTo(200);
      assertTooMany(new DocClient(kbs.url()).auth("sample"));

      // nor does an expired one
      kbs.clock.advance(Duration.ofMinutes(5).plusSeconds(1));
      assertThat(new DocClient(kbs.url()).auth("sample").statusCode()).isEqualTo(200);
    }
  }

  private static KbsHarness harness(
      ClientRateLimiter.Limit auth, ClientRateLimiter.Limit attest, int maxUnattested) {
    return new KbsHarness(
        KbsHarness.testConfig().withLimits(auth, attest, maxUnattested),
        Optional.empty(),
        AdminAuth.denyAll(),
        true);
  }

  private static void assertTooMany(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
    assertThat(DocClient.json(r).get("type").asText())
        .isEqualTo("https://github.com/confidential-containers/kbs/errors/TooManyRequests");
    assertThat(r.headers().firstValue("retry-after")).isPresent();
  }
}
