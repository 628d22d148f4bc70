package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class SessionReplayRaceTest {

  @Test
  void concurrentCopiesOfOneAttestRequestSucceedExactlyOnce() throws Exception {
    try (KbsHarness kbs = KbsHarness.sample();
        var pool = Executors.newFixedThreadPool(8)) {
      DocClient c = new DocClient(kbs.url());
      c.auth("sample");
      JWK key = DocClient.ecKey(Curve.P_256);
      String body = c.attestationBody(key, DocClient.bindingDigest(c.nonce, key));
      List<CompletableFuture<Integer>> all = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        all.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    HttpResponse<String> r = c.post("/kbs/v0/attest", body, Optional.empty());
                    return r.statusCode();
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                },
                pool));
      }
      List<Integer> codes = all.stream().map(CompletableFuture::join).toList();
      assertThat(codes).filteredOn(s -> s == 200).hasSize(1);
      assertThat(codes).filteredOn(s -> s == 401).hasSize(15);
    }
  }

  @Test
  void expiredSessionsAreSweptAndStayGone() {
    MutableClock clock = new MutableClock(java.time.Instant.now());
    InMemorySessionStore store = new InMemorySessionStore();
    store.create(
        Session.authed(
            "0123456789abcdef0123456789abcdef",
            dev.vouch.core.Tee.SAMPLE,
            "n",
            clock.instant().plusSeconds(10)));
    assertThat(store.find("0123456789abcdef0123456789abcdef", clock.instant())).isPresent();
    clock.advance(java.time.Duration.ofSeconds(10));
    assertThat(store.removeExpired(clock.instant())).isEqualTo(1);
    assertThat(store.find("0123456789abcdef0123456789abcdef", clock.instant())).isEmpty();
    assertThat(store.size()).isZero();
  }
}
